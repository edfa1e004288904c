"""Run records: every training run kept on disk, with its curves, checkpoints and TensorBoard
event files (no Qt).

A runs folder holds one folder per run (see :mod:`nnstudio.runs.layout` for what is in it).
:class:`~nnstudio.runs.start.RunStart` says what a run is (design, data, settings, seed,
parent, same start), :class:`~nnstudio.runs.writer.RunWriter` writes its record while a
network trains (:class:`~nnstudio.runs.recorder.Recorder` feeds it from a trainer's
callbacks), :func:`~nnstudio.runs.listing.list_runs` lists a folder of records from their
small summaries, :func:`~nnstudio.runs.reader.open_run` reads one (curves, checkpoints,
weights), :mod:`~nnstudio.runs.manage` renames, trashes, restores and exports runs,
:mod:`~nnstudio.runs.compare` compares them (settings, designs, curves, smoothing), and
:mod:`nnstudio.cli.runs` is ``nnstudio runs``. The window's training process records its
runs through :mod:`~nnstudio.runs.child`, its entry point.
``tensorboard --logdir RUNS`` opens the same folder.
"""
