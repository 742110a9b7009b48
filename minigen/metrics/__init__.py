"""Metrics: how good are a generator's samples, seen through a small digit classifier.

    from minigen.metrics import sample_quality, format_report
    from minigen.data import load_dataset, to_unit

    fake = model.sample(1000)                        # (1000, 1, 28, 28) in [0, 1]
    m = sample_quality(fake.numpy(), to_unit(load_dataset("embedded", "test").images),
                       to_unit(load_dataset("embedded", "train").images))
    print(format_report(m))    # FLD 12.3 (real-vs-real floor 2.1, noise ceiling 840) ...

Files: ``classifier`` (the CNN, its shipped weights, ``classify``), ``sample_quality``
(Frechet distance, Inception score, class coverage, the report), ``train_classifier``
(``python -m minigen.metrics.train_classifier`` writes ``weights/``).
"""
from .classifier import DigitClassifier, classifier_path, classify, load_classifier
from .sample_quality import (class_coverage, confident_fraction, format_report, frechet_distance,
                             gaussian_stats, inception_score, label_accuracy, sample_quality,
                             sqrtm_psd)

__all__ = ["DigitClassifier", "class_coverage", "classifier_path", "classify",
           "confident_fraction", "format_report", "frechet_distance", "gaussian_stats",
           "inception_score", "label_accuracy", "load_classifier", "sample_quality", "sqrtm_psd"]
