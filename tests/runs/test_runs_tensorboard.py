"""TensorBoard's own reader opens the event files of a run record: scalars and HParams."""

from __future__ import annotations

import struct

import pytest

from nnstudio.runs import tfevents
from nnstudio.runs.reader import open_run

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402
from tensorboard.plugins.hparams import api_pb2  # noqa: E402
from tensorboard.plugins.hparams import metadata as hp_metadata  # noqa: E402


def _event_file(path):
    (events,) = path.glob("events.out.tfevents.*")
    return events


def test_masked_crc_matches_tensorboard():
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    for data in (b"", b"a", struct.pack("<Q", 1234), bytes(range(256))):
        assert tfevents.masked_crc(data) == masked_crc32c(data)


def test_tensorboard_reads_scalars_of_a_recorded_run(runs_dir, record_run):
    writer, trainer, _ = record_run(runs_dir, epochs=3)
    acc = event_accumulator.EventAccumulator(str(writer.path),
                                             size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"batch/loss", "batch/accuracy", "batch/lr", "epoch/train_loss",
            "epoch/val_loss", "epoch/val_accuracy"} <= tags
    losses = acc.Scalars("batch/loss")
    assert [e.value for e in losses] == pytest.approx(list(trainer.history.batch_loss),
                                                      rel=1e-6)
    steps = [e.step for e in losses]
    assert steps == sorted(steps) and steps[-1] == 3 * len(trainer.train_idx)
    # steps never go back in the file (TensorBoard would drop what came after as orphaned)
    in_file = [e.step for e in EventFileLoader(str(_event_file(writer.path))).Load()
               if e.summary.value and not e.summary.value[0].tag.startswith("_hparams_")]
    assert in_file == sorted(in_file)
    val = acc.Scalars("epoch/val_accuracy")
    assert [e.value for e in val] == pytest.approx(
        [e.val_accuracy for e in trainer.history.epochs], rel=1e-6)


def test_tensorboard_hparams_plugin_reads_the_settings_and_outcome(runs_dir, record_run):
    writer, _, _ = record_run(runs_dir, epochs=1, lr=0.02)
    start = end = None
    for event in EventFileLoader(str(_event_file(writer.path))).Load():
        for value in event.summary.value:
            if value.metadata.plugin_data.plugin_name != hp_metadata.PLUGIN_NAME:
                continue
            content = value.metadata.plugin_data.content
            if value.tag == hp_metadata.SESSION_START_INFO_TAG:
                start = hp_metadata.parse_session_start_info_plugin_data(content)
            elif value.tag == hp_metadata.SESSION_END_INFO_TAG:
                end = hp_metadata.parse_session_end_info_plugin_data(content)
    assert start is not None and end is not None
    hp = start.hparams
    assert hp["lr"].number_value == pytest.approx(0.02)
    assert hp["optimizer"].string_value == "adam"
    assert hp["design"].string_value == "tiny" and hp["data"].string_value == "blobs"
    assert hp["shuffle"].bool_value is True
    assert hp["seed"].number_value == 3
    assert start.group_name == writer.run_id
    assert end.status == api_pb2.STATUS_SUCCESS


def test_tensorboard_reads_a_run_cut_short(runs_dir, record_run):
    writer, _, _ = record_run(runs_dir, epochs=2)
    events = _event_file(writer.path)
    data = events.read_bytes()
    events.write_bytes(data[:-7])          # the last record cut in the middle
    loaded = list(EventFileLoader(str(events)).Load())
    assert len(loaded) > 10
    assert open_run(writer.path).summary.state == "damaged"


def test_tensorboard_logdir_on_the_runs_folder_shows_every_run(runs_dir, record_run):
    """What ``tensorboard --logdir RUNS`` serves: each run's scalars, and the HParams
    dashboard's table of settings and metrics across runs."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider
    from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import backend_context

    a, _, _ = record_run(runs_dir, epochs=1, lr=0.01)
    b, _, _ = record_run(runs_dir, epochs=1, lr=0.001)
    mux = pem.EventMultiplexer()
    mux.AddRunsFromDirectory(str(runs_dir))
    mux.Reload()
    provider = data_provider.MultiplexerDataProvider(mux, str(runs_dir))
    ctx = context.RequestContext()
    scalars = provider.list_scalars(ctx, experiment_id="", plugin_name="scalars")
    assert set(scalars) == {a.run_id, b.run_id}
    assert "epoch/val_accuracy" in scalars[a.run_id]
    hparams = backend_context.Context(base_plugin.TBContext(
        logdir=str(runs_dir), multiplexer=mux, data_provider=provider))
    try:
        experiment = hparams.experiment_from_metadata(
            ctx, "", include_metrics=True,
            hparams_run_to_tag_to_content=hparams.hparams_metadata(ctx, ""),
            data_provider_hparams=hparams.hparams_from_data_provider(ctx, "", limit=100))
    except (AttributeError, TypeError) as err:  # the plugin's internals of other releases
        pytest.skip(f"this tensorboard's HParams plugin has another interface ({err})")
    infos = {h.name: h for h in experiment.hparam_infos}
    assert {"lr", "optimizer", "batch_size", "seed", "design", "data"} <= set(infos)
    lr = infos["lr"]
    assert (lr.type, lr.domain_interval.min_value, lr.domain_interval.max_value) == \
        (api_pb2.DATA_TYPE_FLOAT64, pytest.approx(0.001), pytest.approx(0.01))
    assert "epoch/val_accuracy" in {m.name.tag for m in experiment.metric_infos}


def test_tensorboard_reads_the_paced_events_of_many_short_epochs(runs_dir, tiny_design,
                                                                 tiny_data):
    """The window's writer: per-batch scalars at most 50 a training second, epoch scalars
    held in memory with the batches and written after them, the last epoch always."""
    from dataclasses import asdict

    import numpy as np

    from nnstudio.core.network import Network
    from nnstudio.core.training import TrainConfig, Trainer
    from nnstudio.runs.recorder import Recorder
    from nnstudio.runs.start import RunStart
    from nnstudio.runs.writer import BATCH_EVENTS_HZ, MIN_CHECKPOINT_S, RunWriter

    ds = tiny_data(300)
    net = Network(tiny_design(), seed=1)
    config = TrainConfig(epochs=150, batch_size=32, lr=0.003, seed=3)
    trainer = Trainer(net, ds.x, ds.y, config)
    writer = RunWriter(runs_dir, RunStart(design=net.design, data="blobs",
                                          config=asdict(config), dataset=ds.name),
                       min_checkpoint_s=MIN_CHECKPOINT_S, batch_events_hz=BATCH_EVENTS_HZ)
    rec = Recorder(writer, net)
    trainer.run(on_batch=rec.on_batch(), on_epoch=rec.on_epoch())
    writer.finish("finished")
    run = open_run(writer.path)
    batches = run.batches()
    assert len(batches["loss"]) == len(trainer.history.batch_loss)     # every batch kept
    in_file = [(e.step, e.summary.value[0].tag)
               for e in EventFileLoader(str(_event_file(writer.path))).Load()
               if e.summary.value and not e.summary.value[0].tag.startswith("_hparams_")]
    steps = [step for step, _tag in in_file]
    assert steps == sorted(steps)                  # an epoch's after its batches'
    batch_steps = [step for step, tag in in_file if tag.startswith("batch/")]
    at = dict(zip(batches["samples"].astype(int).tolist(), batches["elapsed"].tolist(),
                  strict=True))
    spans = [np.floor(at[s] / (1 / BATCH_EVENTS_HZ)) for s in batch_steps]
    assert len(spans) == len(set(spans)) >= 1      # one a 1/50 s span at most
    assert len(batch_steps) < len(batches["loss"])
    epoch_steps = [step for step, tag in in_file if tag.startswith("epoch/")]
    assert epoch_steps[-1] == int(batches["samples"][-1])   # the last epoch's, always
    acc = event_accumulator.EventAccumulator(str(writer.path),
                                             size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    val = acc.Scalars("epoch/val_accuracy")
    assert val[-1].value == pytest.approx(trainer.history.epochs[-1].val_accuracy)
    assert np.all(np.diff([e.step for e in val]) > 0)
