"""TensorBoard event files, written by hand: a few protobuf messages and the record framing.

An event file is a sequence of records, each::

    uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes
    | length bytes of a serialized ``tensorboard.Event`` | uint32 masked CRC-32C of them

The messages written here, with the protobuf field numbers TensorBoard reads:

- ``Event``: ``wall_time`` = 1 (double), ``step`` = 2 (int64), ``file_version`` = 3 (string),
  ``summary`` = 5 (Summary);
- ``Summary``: ``value`` = 1 (repeated Summary.Value);
- ``Summary.Value``: ``tag`` = 1, ``simple_value`` = 2 (float), ``tensor`` = 8,
  ``metadata`` = 9 (SummaryMetadata: ``plugin_data`` = 1 = {``plugin_name`` = 1,
  ``content`` = 2});
- the HParams plugin's ``HParamsPluginData``: ``version`` = 1, ``session_start_info`` = 3
  (``hparams`` = 1 map<string, google.protobuf.Value>, ``group_name`` = 4,
  ``start_time_secs`` = 5), ``session_end_info`` = 4 (``status`` = 1, ``end_time_secs`` = 2).
  A ``google.protobuf.Value`` is ``number_value`` = 2, ``string_value`` = 3 or
  ``bool_value`` = 4.

No HParams ``experiment`` summary is written: without one, TensorBoard builds the HParams
table (the settings' names, types and ranges, and the metrics) from the sessions of all
runs, while an experiment written by one run would be taken for the whole folder.

Nothing here needs protobuf or TensorBoard installed; the tests read the files back with
TensorBoard's own reader.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from typing import BinaryIO

import crc32c

__all__ = ["HPARAMS_END_TAG", "HPARAMS_START_TAG", "STATUS", "EventWriter", "event",
           "event_file_name", "file_version_event", "hparams_end", "hparams_start",
           "masked_crc", "record", "scalars"]

HPARAMS_START_TAG = "_hparams_/session_start_info"
HPARAMS_END_TAG = "_hparams_/session_end_info"
#: ``tensorboard.hparams.Status``
STATUS = {"unknown": 0, "success": 1, "failure": 2, "running": 3}
#: A float tensor of shape (0,): what the HParams summaries carry as their value.
_NULL_TENSOR = bytes.fromhex("080112021200")

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_BYTES = [bytes((i,)) for i in range(0x80)]
#: Summary.Value field 1 (the tag) and the key of field 2 (simple_value), by tag.
_SCALAR_HEADS: dict[str, bytes] = {}
_MASK_DELTA = 0xA282EAD8


# ---------------------------------------------------------------------- protobuf wire format
def _varint(value: int) -> bytes:
    if 0 <= value < 0x80:
        return _BYTES[value]
    if value < 0:
        value += 1 << 64          # int64 negatives take ten bytes, two's complement
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _len_field(field: int, data: bytes) -> bytes:
    return _key(field, _LEN) + _varint(len(data)) + data


def _str_field(field: int, text: str) -> bytes:
    return _len_field(field, text.encode("utf-8"))


def _double_field(field: int, value: float) -> bytes:
    return _key(field, _I64) + struct.pack("<d", value)


def _float_field(field: int, value: float) -> bytes:
    return _key(field, _I32) + struct.pack("<f", value)


def _int_field(field: int, value: int) -> bytes:
    return _key(field, _VARINT) + _varint(value)


# ---------------------------------------------------------------------- messages
def event(summary: bytes = b"", *, step: int = 0, wall_time: float | None = None,
          file_version: str | None = None) -> bytes:
    """A serialized ``Event``; ``summary`` is a serialized ``Summary`` (or empty)."""
    out = _double_field(1, time.time() if wall_time is None else wall_time)
    if step:
        out += _int_field(2, step)
    if file_version is not None:
        out += _str_field(3, file_version)
    if summary:
        out += _len_field(5, summary)
    return out


def file_version_event(wall_time: float | None = None) -> bytes:
    """The event every file starts with."""
    return event(wall_time=wall_time, file_version="brain.Event:2")


def scalars(values: dict[str, float]) -> bytes:
    """A serialized ``Summary`` of ``simple_value`` scalars, one per tag."""
    out = []
    for tag, value in values.items():
        head = _SCALAR_HEADS.get(tag)
        if head is None:   # the few tags a run uses are encoded once
            head = _SCALAR_HEADS[tag] = _str_field(1, tag) + _key(2, _I32)
        out.append(_len_field(1, head + struct.pack("<f", value)))
    return b"".join(out)


def _plugin_value(tag: str, plugin: str, content: bytes) -> bytes:
    metadata = _len_field(1, _str_field(1, plugin) + _len_field(2, content))
    return _len_field(1, _str_field(1, tag) + _len_field(8, _NULL_TENSOR)
                      + _len_field(9, metadata))


def _proto_value(value: float | int | bool | str) -> bytes:
    """A ``google.protobuf.Value``: booleans, numbers and text."""
    if isinstance(value, bool):
        return _int_field(4, int(value))
    if isinstance(value, int | float):
        return _double_field(2, float(value))
    return _str_field(3, str(value))


def hparams_start(hparams: dict[str, float | int | bool | str], group: str,
                  start_time: float) -> bytes:
    """A ``Summary`` that tells the HParams dashboard a session's settings."""
    info = b"".join(_len_field(1, _str_field(1, name) + _len_field(2, _proto_value(v)))
                    for name, v in hparams.items())
    info += _str_field(4, group) + _double_field(5, start_time)
    return _plugin_value(HPARAMS_START_TAG, "hparams", _len_field(3, info))


def hparams_end(status: str, end_time: float) -> bytes:
    """A ``Summary`` that tells the HParams dashboard how a session ended (see STATUS)."""
    info = _int_field(1, STATUS[status]) + _double_field(2, end_time)
    return _plugin_value(HPARAMS_END_TAG, "hparams", _len_field(4, info))


# ---------------------------------------------------------------------- records
def masked_crc(data: bytes) -> int:
    """CRC-32C of ``data``, rotated and offset as TFRecord files store it."""
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    """One framed record of an event file."""
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", masked_crc(header)) + data
            + struct.pack("<I", masked_crc(data)))


def event_file_name(start_time: float) -> str:
    """``events.out.tfevents.<seconds>.<host>.<pid>``: the name TensorBoard looks for."""
    host = "".join(c if c.isalnum() or c in "-_" else "_" for c in socket.gethostname())
    return f"events.out.tfevents.{int(start_time)}.{host or 'host'}.{os.getpid()}"


class EventWriter:
    """Appends records to one event file; bytes are buffered until :meth:`flush`.

    Parameters
    ----------
    fh : binary file
        Opened for appending; the writer owns it from now on.
    """

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self._pending: list[bytes] = []

    def add(self, event_bytes: bytes) -> None:
        """Queue one serialized ``Event``."""
        self._pending.append(record(event_bytes))

    def add_scalars(self, values: dict[str, float], step: int, wall_time: float) -> None:
        """Queue one event of scalars at ``step``."""
        self._pending.append(record(event(scalars(values), step=step, wall_time=wall_time)))

    def flush(self, sync: bool = False) -> int:
        """Write what is queued (and ``fsync`` when ``sync``); returns the file's size.

        Raises
        ------
        OSError
            When the disk is full or the file cannot be written; what was queued is dropped.
        """
        data, self._pending = b"".join(self._pending), []
        if data:
            self._fh.write(data)
        self._fh.flush()
        if sync:
            os.fsync(self._fh.fileno())
        return self._fh.tell()

    def close(self) -> None:
        self._pending = []
        self._fh.close()
