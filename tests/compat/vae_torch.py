"""The official PyTorch VAE example (pytorch/examples vae/main.py), in its shape: a fully
connected encoder to (mu, logvar), the reparameterisation with torch.randn_like, a sigmoid
decoder, BCE (reduction='sum') + KL, Adam. ``model.eps`` lets a test feed both libraries the
same noise; sizes are arguments so tests can run it on tiny data."""
import torch
import torch.nn.functional as F
import torch.optim as optim
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class VAE(nn.Module):
    def __init__(self, pixels=784, hidden=400, latent=20):
        super(VAE, self).__init__()
        self.pixels = pixels
        self.eps = None
        self.fc1 = nn.Linear(pixels, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, pixels)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std) if self.eps is None else self.eps
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, self.pixels))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar, pixels):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, pixels), reduction='sum')
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def build(pixels=784, hidden=400, latent=20, seed=1):
    torch.manual_seed(seed)
    return VAE(pixels, hidden, latent)


def train(model, images, batch_size=128, epochs=1, lr=1e-3, shuffle=True, eps=None, dtype=None):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = model.to(device)
    train_loader = DataLoader(TensorDataset(torch.tensor(images, dtype=dtype)), batch_size=batch_size,
                              shuffle=shuffle)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        train_loss = 0
        for batch_idx, (data,) in enumerate(train_loader):
            data = data.to(device)
            if eps is not None:
                model.eps = eps(len(data))
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(data)
            loss = loss_function(recon_batch, data, mu, logvar, model.pixels)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
            losses.append(loss.item() / len(data))
        print('====> Epoch: {} Average loss: {:.4f}'.format(epoch, train_loss / len(train_loader.dataset)))
    with torch.no_grad():
        sample = torch.randn(64, model.fc3.in_features, dtype=model.fc3.weight.dtype).to(device)
        sample = model.decode(sample).cpu()
    return losses, sample
