class TrainingError(Exception):
    """A problem the user can fix (bad argument, wrong run directory, bad checkpoint),
    or a run that had to stop (a non-finite loss). The CLI prints it as one line."""
