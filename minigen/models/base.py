"""The contract between a model and the training loop."""
import numpy as np

MODELS = {}


def register_model(cls):
    """Class decorator: make ``cls`` trainable as ``minigen train cls.name``."""
    MODELS[cls.name] = cls
    return cls


def get_model_class(name):
    if name not in MODELS:
        known = ", ".join(sorted(MODELS))
        raise ValueError(f"model {name!r} is not a registered model; expected one of: {known}")
    return MODELS[name]


class GenerativeModel:
    """Base class. Subclasses set ``name`` and ``defaults`` and implement:

    * ``build(self)``: create ``self.networks`` (name -> Module) and ``self.optimizers``
      (name -> Optimizer) from ``self.config``;
    * ``train_step(self, images, labels) -> dict`` of float losses for one batch;
    * ``sample(self, n) -> Tensor`` of images in [-1, 1] or [0, 1] (N, C, H, W), drawn
      with ``self.fixed_noise`` when n matches, so sample grids are comparable over time.

    ``data_range`` says how the loop should scale uint8 images: "symmetric" ([-1, 1]) or
    "unit" ([0, 1]); ``value_range`` is the same as numbers, for sample grids.
    """

    name = None
    defaults = {"lr": 2e-4, "batch_size": 64, "steps": 500}
    recipes = {}  # name -> the settings ``--set recipe=NAME`` puts in place of the defaults
    data_range = "symmetric"

    @classmethod
    def resolve_settings(cls, options):
        """The run's settings: the defaults, then the named recipe's settings (``recipe`` in
        ``options``, e.g. a paper's hyperparameters), then the user's own ``options``."""
        recipe = options.get("recipe", cls.defaults.get("recipe"))
        if recipe is not None and recipe not in cls.recipes:
            known = ", ".join(sorted(cls.recipes)) or "none"
            raise ValueError(f"--set recipe={recipe!r}: {cls.name} knows the recipes {known}")
        return {**cls.defaults, **cls.recipes.get(recipe, {}), **options}

    @property
    def value_range(self):
        """(low, high) of the images this model reads and samples: (-1, 1) or (0, 1). Sample
        grids map it to black..white (guessing from the values would turn a tanh generator's
        all-positive early samples into (0, 1) images)."""
        return (-1.0, 1.0) if self.data_range == "symmetric" else (0.0, 1.0)

    def __init__(self, config, device="cpu", image_shape=(1, 28, 28)):
        self.config = dict(config)
        self.device = device
        self.image_shape = tuple(image_shape)
        self.networks, self.optimizers = {}, {}
        self.build()
        for net in self.networks.values():
            net.to(device)

    def build(self):
        raise NotImplementedError

    def train_step(self, images, labels):
        raise NotImplementedError

    def sample(self, n):
        raise NotImplementedError

    def evaluate(self, dataset):
        """Metrics on held-out data (dict name -> float); models override this."""
        return {}

    # --- state for checkpoints ---------------------------------------------------
    def state_dict(self):
        return {"networks": {k: v.state_dict() for k, v in self.networks.items()},
                "optimizers": {k: v.state_dict() for k, v in self.optimizers.items()},
                "extra": self.extra_state()}

    def load_state_dict(self, state):
        for k, net in self.networks.items():
            net.load_state_dict(state["networks"][k])
        for k, opt in self.optimizers.items():
            opt.load_state_dict(state["optimizers"][k])
        self.load_extra_state(state.get("extra", {}))

    def extra_state(self):
        """Anything else a resume needs (a history pool, a step counter); arrays or numbers."""
        return {}

    def load_extra_state(self, state):
        pass

    def train(self):
        for net in self.networks.values():
            net.train()

    def eval(self):
        for net in self.networks.values():
            net.eval()

    def num_parameters(self):
        return {k: int(sum(p.data.size for p in v.parameters())) for k, v in self.networks.items()}


def check_nonnegative(config, key, default, meaning=""):
    """config[key] (``default`` when absent) as a float >= 0, or one error naming the setting;
    ``meaning`` says what 0 does (for the message)."""
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value >= 0:
        raise ValueError(f"--set {key}={value!r}: expected a number >= 0" + (f" ({meaning})" if meaning else ""))
    return float(value)


def check_positive(config, key, kind=float):
    value = config[key]
    if not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0:
        flag = f"--{key.replace('_', '-')}" if key in ("lr", "batch_size", "steps") else f"--set {key}"
        raise ValueError(f"{flag}={value!r} must be a positive number")
    return kind(value)
