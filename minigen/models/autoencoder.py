"""A tiny convolutional autoencoder: the smallest model that exercises the whole loop.

x (N, 1, 28, 28) -> conv 4x4 s2 -> conv 4x4 s2 -> (N, 16, 7, 7) -> conv-transpose back.
Loss: mean squared error between x and its reconstruction.
"""
import minigen as mg
from minigen import nn
from minigen.nn import functional as F
from minigen.optim import Adam

from .base import GenerativeModel, register_model, check_positive


@register_model
class AutoEncoder(GenerativeModel):
    name = "autoencoder"
    defaults = {"lr": 1e-3, "batch_size": 64, "steps": 300, "width": 16}
    data_range = "symmetric"

    def build(self):
        c = self.image_shape[0]
        w = int(self.config.get("width", 16))
        self.encoder = nn.Sequential(
            nn.Conv2d(c, w, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2))
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(w, c, 4, 2, 1), nn.Tanh())
        self.networks = {"encoder": self.encoder, "decoder": self.decoder}
        params = list(self.encoder.parameters()) + list(self.decoder.parameters())
        self.optimizers = {"adam": Adam(params, lr=check_positive(self.config, "lr"))}
        self._probe = None

    def train_step(self, images, labels):
        recon = self.decoder(self.encoder(images))
        loss = F.mse_loss(recon, images)
        opt = self.optimizers["adam"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss}

    def set_probe(self, images):
        """Held-out images whose reconstructions the sample grids show."""
        self._probe = images

    def sample(self, n):
        with mg.no_grad():
            self.eval()
            out = self.decoder(self.encoder(self._probe[:n]))
            self.train()
        return mg.cat([self._probe[:n], out], axis=0)

    def evaluate(self, images):
        with mg.no_grad():
            self.eval()
            loss = F.mse_loss(self.decoder(self.encoder(images)), images).item()
            self.train()
        return {"test_mse": loss}
