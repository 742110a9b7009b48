"""The GAN recipe search's fast proxy: the DCGAN networks of ``minigen/models/gan_nets.py``
trained in PyTorch (CPU, one thread) with one ingredient changed at a time, scored at fixed
steps with minigen's own classifier (``minigen.metrics.sample_quality``, 1,000 samples).

    python benchmarks/gan_recipe_search.py NAME [key=value ...]
    e.g. python benchmarks/gan_recipe_search.py lr1e3 lr_g=1e-3 lr_d=1e-3 steps=3000 evals=1000,2000,3000

writes ``runs/recipe_search/NAME.jsonl``: the settings, then per evaluation step the scores of
G in eval mode ("eval"), in training mode ("train") and, with ema > 0, of G's moving average
("ema_eval", "ema_train"). It needs torch (the benchmarks' baseline, never a dependency).

What it is for: quality *per step* of many variants, cheaply, to choose what minigen should
try. Every default and every figure in RESULTS.md's tables of the adopted recipe comes from
minigen itself (``benchmarks/gan_quality.py``); the proxy's numbers are labelled as such.

Settings (defaults = Radford et al.'s recipe on the 28x28 networks):
  steps, bs, lr_g, lr_d, b1, b2   G updates, batch, Adam's step sizes and betas
  loss     bce | hinge | lsgan | wass          dnorm   batch | layer | none (D's norm)
  sn       1: spectral norm on D's convs       gp      gradient-penalty weight (0: none)
  ncrit    critic updates per G update         opt     adam | rmsprop;  clip: WGAN clipping
  gw, dw   G's and D's widths                  aug     DiffAugment: trans, cut, joined by +
  ema      decay of G's moving average         topk    fraction of fakes in G's loss (Sinha
                                                        et al. 2020), reached over topk_steps
  info     K > 0: a categorical code c ~ U{0..K-1} in G's input and a head Q(c | x) on D's
           features, both trained to predict c (InfoGAN, Chen et al. 2016), weight info_l
  clusters K > 0: k-means of the training pixels into K clusters; G and a projection D are
           conditioned on the cluster id, fakes' ids drawn with the clusters' frequencies
           (cluster-conditioned, "self-conditioned" GANs: Liu et al. 2020)
"""
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from minigen.data import load_dataset, save_image_grid  # noqa: E402
from minigen.metrics import load_classifier, sample_quality  # noqa: E402
from minigen.models import gan_nets  # noqa: E402

DEFAULTS = dict(steps=2000, bs=64, lr_g=2e-4, lr_d=2e-4, b1=0.5, b2=0.999, loss="bce", dnorm="batch",
                sn=0, gw=128, dw=64, nz=100, aug="", ema=0.0, seed=0, evals="500,1000,1500,2000",
                ncrit=1, gp=0.0, opt="adam", clip=0.0, topk=1.0, topk_steps=1000, info=0, info_l=1.0, clusters=0)


def parse(argv):
    cfg = dict(DEFAULTS)
    for kv in argv:
        k, v = kv.split("=", 1)
        if k not in cfg:
            raise SystemExit(f"unknown setting {k!r}; expected one of {', '.join(cfg)}")
        cfg[k] = v if isinstance(cfg[k], str) else type(cfg[k])(float(v) if isinstance(cfg[k], int) else v)
    return cfg


def networks(cfg):
    """minigen's builders with torch.nn: the identical G and D, DCGAN-initialised."""
    g = gan_nets.generator(cfg["nz"] + cfg["info"] + cfg["clusters"], 1, 28, cfg["gw"], nn=nn)
    d = gan_nets.discriminator(1, 28, cfg["dw"], norm=cfg["dnorm"], nn=nn)
    if cfg["info"]:
        d.append(nn.Conv2d(2 * cfg["dw"], cfg["info"], 7))  # Q's head, on the same features as D's

    def init(m):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0, 0.02)
            nn.init.zeros_(m.bias)
        if isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1, 0.02)
            nn.init.zeros_(m.bias)
    g.apply(init)
    d.apply(init)
    if cfg["sn"]:
        for m in (d[:-1] if cfg["info"] else d).modules():  # not Q's head
            if isinstance(m, nn.Conv2d):
                nn.utils.spectral_norm(m)
    return g, d


def augment(x, policy):
    """DiffAugment-style, drawn per sample, the same policy for reals and fakes."""
    n = x.shape[0]
    for a in filter(None, policy.split("+")):
        if a == "trans":  # shift by up to 3 px (1/8 of 28, rounded down), background fill
            s = 3
            xp = F.pad(x, (s, s, s, s), value=-1.0)
            dy, dx = torch.randint(0, 2 * s + 1, (n,)), torch.randint(0, 2 * s + 1, (n,))
            iy, ix = dy[:, None] + torch.arange(28)[None], dx[:, None] + torch.arange(28)[None]
            x = xp[torch.arange(n)[:, None, None], :, iy[:, :, None], ix[:, None, :]].permute(0, 3, 1, 2)
        elif a == "cut":  # a 14 x 14 hole
            c = 14
            cy, cx = torch.randint(0, 28 + 1 - c, (n,)), torch.randint(0, 28 + 1 - c, (n,))
            r = torch.arange(28)[None]
            hole = ((r >= cy[:, None]) & (r < cy[:, None] + c))[:, :, None] & \
                ((r >= cx[:, None]) & (r < cx[:, None] + c))[:, None, :]
            x = torch.where(hole[:, None], torch.full_like(x, -1.0), x)
        else:
            raise SystemExit(f"unknown augmentation {a!r}")
    return x


def kmeans(x, k, iters=30, seed=0):
    """Lloyd's k-means of the rows of x with k-means++ seeding: (n,) cluster ids."""
    rng = np.random.default_rng(seed)
    c = [x[rng.integers(len(x))]]
    d2 = ((x - c[0]) ** 2).sum(1)
    for _ in range(k - 1):
        c.append(x[rng.choice(len(x), p=d2 / d2.sum())])
        d2 = np.minimum(d2, ((x - c[-1]) ** 2).sum(1))
    c = np.array(c)
    for _ in range(iters):
        a = (-2 * x @ c.T + (c ** 2).sum(1)).argmin(1)
        for j in range(k):
            if (a == j).any():
                c[j] = x[a == j].mean(0)
    return a


def critic_and_q(cfg, d, x):
    """(D's logit, Q's code logits or None) from one pass over D's shared layers."""
    if not cfg["info"]:
        return d(x).flatten(), None
    feat = d[:-2](x)
    return d[-2](feat).flatten(), d[-1](feat).flatten(1)


def code(cfg, n, gen=None):
    """(n,) codes uniform on 0..K-1 and their one-hot (n, K, 1, 1)."""
    c = torch.randint(0, cfg["info"], (n,), generator=gen)
    return c, F.one_hot(c, cfg["info"]).float()[:, :, None, None]


def critic_loss(cfg, rl, fl):
    if cfg["loss"] == "bce":
        return F.softplus(-rl).mean() + F.softplus(fl).mean()
    if cfg["loss"] == "hinge":
        return F.relu(1 - rl).mean() + F.relu(1 + fl).mean()
    if cfg["loss"] == "lsgan":
        return 0.5 * ((rl - 1) ** 2).mean() + 0.5 * (fl ** 2).mean()
    return fl.mean() - rl.mean()  # wass


def generator_loss(cfg, fl):
    if cfg["loss"] == "bce":
        return F.softplus(-fl).mean()
    if cfg["loss"] == "lsgan":
        return 0.5 * ((fl - 1) ** 2).mean()
    return -fl.mean()


def main():
    name, cfg = sys.argv[1], parse(sys.argv[2:])
    torch.set_num_threads(1)
    torch.manual_seed(cfg["seed"])
    tr, te = load_dataset("embedded", "train"), load_dataset("embedded", "test")
    X = torch.tensor(tr.images.astype(np.float32) / 127.5 - 1)
    unit_tr, unit_te = tr.images.astype(np.float32) / 255, te.images.astype(np.float32) / 255
    clf = load_classifier("mnist")
    g, d = networks(cfg)
    if cfg["opt"] == "adam":
        og = torch.optim.Adam(g.parameters(), cfg["lr_g"], betas=(cfg["b1"], cfg["b2"]))
        od = torch.optim.Adam(d.parameters(), cfg["lr_d"], betas=(cfg["b1"], cfg["b2"]))
    else:
        og, od = torch.optim.RMSprop(g.parameters(), cfg["lr_g"]), torch.optim.RMSprop(d.parameters(), cfg["lr_d"])
    ema = copy.deepcopy(g) if cfg["ema"] else None
    K = cfg["clusters"]
    if K:
        ids = torch.tensor(kmeans(unit_tr.reshape(len(unit_tr), -1), K, seed=cfg["seed"]))
        freq = torch.bincount(ids, minlength=K).float()
        embed = nn.Linear(K, 2 * cfg["dw"] * 49, bias=False)
        nn.init.normal_(embed.weight, 0, 0.02)
        od.add_param_group({"params": embed.parameters()})
        onehot_k = lambda c: F.one_hot(c, K).float()  # noqa: E731

        def proj(x, c):  # projection discriminator: psi(phi(x)) + <embed(c), phi(x)>
            feat = d[:-1](x)
            return (d[-1](feat).flatten() + (feat.flatten(1) * embed(onehot_k(c))).sum(1))
    evals = [int(s) for s in cfg["evals"].split(",")]
    # the noise minigen's eval uses (FIXED_NOISE_SEED + 1), 1,000 samples
    zfix = torch.tensor(np.random.default_rng(20160108).standard_normal((1000, cfg["nz"], 1, 1)).astype(np.float32))
    if cfg["info"]:  # codes 0, 1, ..., K-1, 0, 1, ...: equally many of each
        zfix = torch.cat([zfix, F.one_hot(torch.arange(1000) % cfg["info"], cfg["info"]).float()[:, :, None, None]], 1)
    if cfg["clusters"]:  # cluster ids in proportion to the clusters' sizes, from a fixed generator
        cfix = torch.multinomial(freq, 1000, replacement=True, generator=torch.Generator().manual_seed(1))
        zfix = torch.cat([zfix, F.one_hot(cfix, K).float()[:, :, None, None]], 1)
    out_dir = ROOT / "runs" / "recipe_search"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = open(out_dir / f"{name}.jsonl", "w")
    out.write(json.dumps({"cfg": cfg}) + "\n")
    aug = (lambda x: augment(x, cfg["aug"])) if cfg["aug"] else (lambda x: x)  # noqa: E731

    def score(net, train_mode):
        net.train(train_mode)
        with torch.no_grad():
            f = torch.cat([net(zfix[i:i + 500]) for i in range(0, 1000, 500)])
        net.train(True)
        m = sample_quality((f.numpy() + 1) / 2, unit_te, unit_tr, classifier=clf)
        return {k: round(float(m[k]), 3) for k in ("fld", "fld_floor", "inception_score", "classes_covered",
                                                   "confident_fraction")}

    t0, perm, pos = time.time(), torch.randperm(len(X)), 0
    for step in range(1, cfg["steps"] + 1):
        for _ in range(cfg["ncrit"]):
            if pos + cfg["bs"] > len(X):
                perm, pos = torch.randperm(len(X)), 0
            real = X[perm[pos:pos + cfg["bs"]]]
            pos += cfg["bs"]
            z = torch.randn(cfg["bs"], cfg["nz"], 1, 1)
            if K:
                creal = ids[perm[pos - cfg["bs"]:pos]]
                cfake = torch.multinomial(freq, cfg["bs"], replacement=True)
                fake = g(torch.cat([z, onehot_k(cfake)[:, :, None, None]], 1))
                ld = critic_loss(cfg, proj(aug(real), creal), proj(aug(fake.detach()), cfake))
                od.zero_grad()
                ld.backward()
                od.step()
                continue
            if cfg["info"]:
                c, onehot = code(cfg, cfg["bs"])
                z = torch.cat([z, onehot], 1)
            fake = g(z)
            rl, _ = critic_and_q(cfg, d, aug(real))
            fl, ql = critic_and_q(cfg, d, aug(fake.detach()))
            ld = critic_loss(cfg, rl, fl)
            if cfg["info"]:
                ld = ld + cfg["info_l"] * F.cross_entropy(ql, c)
            if cfg["gp"]:
                a = torch.rand(cfg["bs"], 1, 1, 1)
                xi = (a * real + (1 - a) * fake.detach()).requires_grad_(True)
                (gx,) = torch.autograd.grad(critic_and_q(cfg, d, xi)[0].sum(), xi, create_graph=True)
                ld = ld + cfg["gp"] * ((gx.flatten(1).norm(dim=1) - 1) ** 2).mean()
            od.zero_grad()
            ld.backward()
            od.step()
            if cfg["clip"]:
                with torch.no_grad():
                    for p in d.parameters():
                        p.clamp_(-cfg["clip"], cfg["clip"])
        fl, ql = critic_and_q(cfg, d, aug(fake)) if not K else (proj(aug(fake), cfake), None)
        if cfg["topk"] < 1:
            frac = max(cfg["topk"], 1 - (1 - cfg["topk"]) * step / cfg["topk_steps"])
            fl = fl.topk(max(1, int(frac * len(fl)))).values
        og.zero_grad()
        lg = generator_loss(cfg, fl)
        if cfg["info"]:
            lg = lg + cfg["info_l"] * F.cross_entropy(ql, c)
        lg.backward()
        og.step()
        if ema is not None:
            with torch.no_grad():
                decay = min(cfg["ema"], (1 + step) / (10 + step))
                for pe, p in zip(ema.parameters(), g.parameters()):
                    pe.lerp_(p, 1 - decay)
                for be, b in zip(ema.buffers(), g.buffers()):
                    be.copy_(b)
        if step in evals:
            rec = {"step": step, "sec": round(time.time() - t0, 1), "eval": score(g, False), "train": score(g, True)}
            if ema is not None:
                rec["ema_eval"], rec["ema_train"] = score(ema, False), score(ema, True)
            out.write(json.dumps(rec) + "\n")
            out.flush()
            print(name, json.dumps(rec), flush=True)
            if step == evals[-1]:
                net = (ema if ema is not None else g).eval()
                with torch.no_grad():
                    save_image_grid(net(zfix[:64]).numpy(), out_dir / f"{name}.png", nrow=8, value_range=(-1, 1))


if __name__ == "__main__":
    main()
