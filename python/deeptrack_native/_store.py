"""Datasets on disk: ``generate`` renders N items of a pipeline's batch stream into Zarr or OME-TIFF
with a ground-truth table, resumably; ``load`` reads them back.

Layout. Zarr (``path`` a directory, e.g. ``train.zarr``): arrays ``images`` (N, *image shape) and,
for pipelines ``image & target``, ``target_1`` ... (one per extra image of an item), each chunked by
item; the table ``ground_truth.csv`` inside the directory; the metadata in the group's attributes
under ``"deeptrack"``. OME-TIFF (``path`` ending ``.ome.tif``/``.ome.tiff``): the images as one
OME-TIFF (axes ``TYX``, or ``TCYX`` for images with channels: an item is a time point, for Fiji and
napari; ``load`` gives them back as the pipeline's ``(N, Y, X[, C])``),
targets as ``<stem>.target_1.ome.tif`` ..., the table as ``<stem>.csv`` and the metadata as
``<stem>.json`` beside it (also in the OME-XML description).

Resuming. Items are rendered in chunks of ``chunk`` items; a chunk is done when its table part
(``<work dir>/NNNNNNNN.csv``) exists, written after its images. Generating again into the same path
with the same pipeline description, seed and count skips the chunks done, and returns at once when
the dataset is complete; another dataset there is refused unless ``overwrite=True``. Every item is
item ``i`` of the stream ``seed`` whatever the chunking or an interruption, so a resumed dataset is
the same as one generated in one go.

The table: one row per particle per item (every property dict of the item's first image holding a
``position``): ``item``, ``frame`` (the dict's ``sequence_step``, else 0), ``position_0``,
``position_1`` (pixel coordinates along the image's first and second axes; ``position_2`` for a
3-D position), ``z`` (empty when the particle has none), then every other scalar property (numbers,
booleans, strings) by name; a property some particles lack is empty for them. An image's rows are
read from the library in one call (``deeptrack_image_table_json``), not property by property.

Types. Images are stored as float32 by default (what networks train on), or as ``generate``'s
``dtype``: float64, or an integer type for camera counts (checked to fit). The metadata records it
(``"dtype"``, and each array's type under ``"dtypes"``); ``load`` gives it back (``Stored.dtype``).
"""

import csv
import functools
import io
import json
import os
import shutil
import threading

import numpy as np

from ctypes import byref, c_size_t, create_string_buffer, string_at

from . import _batch, _core, _describe, _items, _lib, _npseed, _processes, _progress, _store_workers
from ._lib import lib
from .image import Image

FORMAT_VERSION = 1
_FIXED = ["item", "frame", "position_0", "position_1", "position_2", "z"]
_FIXED_SET = frozenset(_FIXED)


def table_of(image, item=0):
    """The ground-truth rows of one rendered image (an Image with its properties): a list of dicts,
    one per particle (see the module's description of the table)."""
    if not isinstance(image, Image):
        return []
    rows = []
    for props in _particle_dicts(image):
        position = _flat(props["position"])
        row = {"item": int(item), "frame": _scalar(props.get("sequence_step", 0))}
        for axis, p in enumerate(position[:3]):
            row[f"position_{axis}"] = p
        z = props.get("z")
        if _is_scalar(z):
            row["z"] = _scalar(z)
        elif len(position) > 2:
            row["z"] = position[2]
        for key, value in props.items():
            if key in ("position", "z", "sequence_step") or key.startswith("_") or key in row:
                continue
            if _is_scalar(value):
                row[key] = _scalar(value)
        rows.append(row)
    return rows


def _particle_dicts(image):
    """The property dicts of ``image`` that hold a ``position``. For a rendered Image whose dicts
    were not read yet, they are read from the library in one call (:func:`library_table`); a
    pipeline's other dicts, those of its optics, chains and noises, are never converted."""
    state = image.__dict__
    owner = state.get("_library_owner")
    if owner is None or state.get("_properties") is not None:
        return [p for p in image.properties if "position" in p]
    return library_table(owner)


#: Each thread's buffer for the tables' text, grown to the largest table read.
_TABLE_TEXT = threading.local()


def library_table(owner, key=b"position"):
    """The dicts of a library image (``owner``, an owned image handle) holding ``key`` (every dict for
    ``None``), read in one library call (``deeptrack_image_table_json``): a list of dicts holding the
    entries whose names do not start with ``_`` and whose values are scalars (None, bools, numbers,
    strings), and ``key``'s value (an array as a list)."""
    buf = getattr(_TABLE_TEXT, "buf", None)
    if buf is None:
        buf = _TABLE_TEXT.buf = create_string_buffer(1 << 16)
    needed = c_size_t()
    status = lib.deeptrack_image_table_json(owner.ptr, key, buf, len(buf), byref(needed))
    if status == _lib.BUFFER_TOO_SMALL and needed.value > len(buf):
        buf = _TABLE_TEXT.buf = create_string_buffer(needed.value)
        status = lib.deeptrack_image_table_json(owner.ptr, key, buf, len(buf), byref(needed))
    if status:
        _core.raise_for(status)
    return json.loads(string_at(buf, needed.value - 1))


def _flat(position):
    """A position as a flat list of floats (a list of numbers, the library table's form, as it is)."""
    if type(position) is list and all(type(p) is float or type(p) is int for p in position):
        return [float(p) for p in position]
    return [float(p) for p in np.ravel(np.asarray(position, dtype=float))]


def _is_scalar(value):
    if isinstance(value, (bool, int, float, str, np.generic)):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0


def _scalar(value):
    if isinstance(value, np.ndarray):
        value = value[()]
    if isinstance(value, np.generic):
        value = value.item()
    return value


def _write_csv(path, rows):
    """Writes ``rows`` (dicts) to ``path`` atomically, with the union of their keys as columns (the
    fixed ones first)."""
    keys = {}
    for r in rows:
        keys.update(dict.fromkeys(r))  # the union in order of first appearance
    columns = [c for c in _FIXED if c in keys] + [k for k in keys if k not in _FIXED_SET]
    columns = columns or ["item"]
    buf = io.StringIO()
    # csv.writer on lists: what DictWriter writes (missing cells empty), without its per-row checks.
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[r.get(c, "") for c in columns] for r in rows])
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(buf.getvalue())
    os.replace(tmp, path)


def _read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _columns(rows):
    """The table as a dict of column arrays: numbers as float (or int for ``item``/``frame``), empty
    cells as NaN; a column holding text as strings."""
    names = []
    for r in rows:
        names += [k for k in r if k not in names]
    table = {}
    for name in names:
        cells = [r.get(name, "") for r in rows]
        try:
            values = np.array([float(c) if c != "" else np.nan for c in cells])
            if name in ("item", "frame") and not np.isnan(values).any():
                values = values.astype(np.int64)
        except ValueError:
            values = np.array(cells, dtype=object)
        table[name] = values
    return table


# -- the formats ----------------------------------------------------------------------------------


def _is_tiff(path):
    return str(path).lower().endswith((".ome.tif", ".ome.tiff"))


def _tiff_stem(path):
    p = str(path)
    return p[: -len(".ome.tiff")] if p.lower().endswith(".ome.tiff") else p[: -len(".ome.tif")]


class _Zarr:
    """A dataset in a Zarr group (zarr 2 or 3)."""

    def __init__(self, path):
        import zarr

        self.zarr = zarr
        self.path = str(path)
        self.work = os.path.join(self.path, ".progress")
        self.table = os.path.join(self.path, "ground_truth.csv")

    def metadata(self):
        if not os.path.isdir(self.path):
            return None
        try:
            group = self.zarr.open_group(self.path, mode="r")
        except Exception:  # noqa: BLE001 - not a zarr group: nothing of ours
            return None
        return dict(group.attrs).get("deeptrack")

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)

    def create(self, meta, shapes, dtypes):
        group = self.zarr.open_group(self.path, mode="a")
        for name, shape, dtype in zip(_array_names(len(shapes)), shapes, dtypes):
            full, chunks = (meta["count"], *shape), (1, *shape)
            if hasattr(group, "create_array"):
                # Zarr 3: a chunk per item, stored in shards of a write chunk each (one file per chunk
                # of generate, not per item: a quarter of the writing time for small images), not
                # compressed (simulated float images with noise barely compress; writing keeps pace
                # with rendering).
                group.create_array(
                    name,
                    shape=full,
                    chunks=chunks,
                    shards=(meta["chunk"], *shape),
                    compressors=None,
                    # Every chunk is written: no pass over each item to see if it is all zeros.
                    config={"write_empty_chunks": True},
                    dtype=dtype,
                    overwrite=True,
                )
            else:
                group.create_dataset(name, shape=full, chunks=chunks, dtype=dtype, overwrite=True)
        group.attrs["deeptrack"] = meta
        self.group = group
        self.arrays, self.shards = {}, {}
        os.makedirs(self.work, exist_ok=True)

    def open_for_writing(self):
        self.group = self.zarr.open_group(self.path, mode="a")
        self.arrays, self.shards = {}, {}
        os.makedirs(self.work, exist_ok=True)

    def write(self, start, stacks):
        for name, stack in zip(_array_names(len(stacks)), stacks):
            shard = self.shards.get(name, False)
            if shard is False:
                shard = self.shards[name] = _ShardLayout.of(os.path.join(self.path, name), stack.shape[1:])
            if shard is not None and shard.fits(start, stack):
                shard.write(start, stack, self.work)
                continue
            # Each array is opened once per writer: opening reads its metadata from the store, which
            # cost about as much as writing a chunk of small images.
            array = self.arrays.get(name)
            if array is None:
                array = self.arrays[name] = self.group[name]
            array[start : start + len(stack)] = stack

    def finish(self, meta):
        self.group.attrs["deeptrack"] = meta

    def read(self, meta):
        group = self.zarr.open_group(self.path, mode="r")
        return [group[name] for name in _array_names(meta["per_item"])]


class _ShardLayout:
    """A Zarr 3 array as ``_Zarr.create`` makes it (a chunk per item, a shard per chunk of generate,
    no compression, a CRC32C of the shard index: zarr's defaults), whose shards ``generate`` writes
    as files itself: the items' bytes one after the other, then the index of their (offset, length)
    and its checksum, as zarr's sharding codec lays them out. zarr encodes a shard item by item
    through its codec pipeline, which cost as much CPU as the file system's work on the bytes;
    written here, a shard costs its bytes. ``of`` reads the array's ``zarr.json`` and gives ``None``
    for any other layout (zarr 2, other codecs or a changed format): zarr writes those."""

    _MISSING = np.uint64(2**64 - 1)

    def __init__(self, path, items, dtype, crc32c):
        self.path, self.items, self.dtype, self.crc32c = path, items, dtype, crc32c

    @classmethod
    def of(cls, path, item_shape):
        try:
            import google_crc32c  # zarr 3's own checksum of the shard index

            with open(os.path.join(path, "zarr.json"), encoding="utf-8") as f:
                meta = json.load(f)
            item = list(item_shape)
            little = {"name": "bytes", "configuration": {"endian": "little"}}
            dtype = np.dtype(meta["data_type"]).newbyteorder("<")
            inner = [little] if dtype.itemsize > 1 else [little, {"name": "bytes"}]
            (codec,) = meta["codecs"]
            config = codec["configuration"]
            shard = meta["chunk_grid"]["configuration"]["chunk_shape"]
            known = (
                meta["zarr_format"] == 3
                and meta["node_type"] == "array"
                and meta["chunk_key_encoding"] == {"name": "default", "configuration": {"separator": "/"}}
                and meta["chunk_grid"]["name"] == "regular"
                and shard[1:] == item
                and list(meta["shape"][1:]) == item
                and not meta.get("storage_transformers")
                and codec["name"] == "sharding_indexed"
                and config["chunk_shape"] == [1, *item]
                and len(config["codecs"]) == 1
                and config["codecs"][0] in inner
                and config["index_codecs"] == [little, {"name": "crc32c"}]
                and config["index_location"] == "end"
                and int(np.prod(item)) > 0
            )
        except (ImportError, OSError, ValueError, KeyError, TypeError):
            return None
        return cls(path, shard[0], dtype, google_crc32c.value) if known else None

    def fits(self, start, stack):
        """Whether ``stack`` (items ``start ..``) is one whole shard's items of this array's type."""
        return start % self.items == 0 and 0 < len(stack) <= self.items and stack.dtype == self.dtype.newbyteorder("=")

    def write(self, start, stack, work):
        data = np.ascontiguousarray(stack, dtype=self.dtype)
        size = data[0].nbytes
        index = np.full((self.items, 2), self._MISSING, dtype="<u8")
        index[: len(data), 0] = np.arange(len(data), dtype=np.uint64) * np.uint64(size)
        index[: len(data), 1] = size
        index = index.tobytes()
        key = os.path.join(self.path, "c", str(start // self.items), *["0"] * (data.ndim - 1))
        os.makedirs(os.path.dirname(key), exist_ok=True)
        tmp = os.path.join(work, f"{os.path.basename(self.path)}-{start:012d}.shard.tmp")
        with open(tmp, "wb") as f:
            f.write(memoryview(data).cast("B"))
            f.write(index)
            f.write(np.uint32(self.crc32c(index)).astype("<u4").tobytes())
        os.replace(tmp, key)


class _Tiff:
    """A dataset as OME-TIFF files with a CSV table and a JSON metadata file beside them."""

    def __init__(self, path):
        import tifffile

        self.tifffile = tifffile
        self.path = str(path)
        stem = _tiff_stem(path)
        self.meta_path = f"{stem}.json"
        self.table = f"{stem}.csv"
        self.work = f"{stem}.parts"
        self.files = lambda n: [self.path] + [f"{stem}.{name}.ome.tif" for name in _array_names(n)[1:]]

    def metadata(self):
        if not os.path.exists(self.meta_path):
            return None
        with open(self.meta_path, encoding="utf-8") as f:
            return json.load(f).get("deeptrack")

    def remove(self):
        meta = self.metadata()
        for p in self.files(meta["per_item"] if meta else 1) + [self.table, self.meta_path]:
            if os.path.exists(p):
                os.remove(p)
        shutil.rmtree(self.work, ignore_errors=True)

    def _save_meta(self, meta):
        tmp = f"{self.meta_path}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"deeptrack": meta}, f, indent=1)
        os.replace(tmp, self.meta_path)

    def create(self, meta, shapes, dtypes):
        for shape in shapes:
            if len(shape) not in (2, 3):
                raise ValueError(
                    f"generate: OME-TIFF holds items of 2 (YX) or 3 (YXC) dimensions, got {tuple(shape)}: "
                    "write to Zarr instead"
                )
        os.makedirs(self.work, exist_ok=True)
        self._save_meta(meta)

    def open_for_writing(self):
        os.makedirs(self.work, exist_ok=True)

    def write(self, start, stacks):
        for name, stack in zip(_array_names(len(stacks)), stacks):
            tmp = os.path.join(self.work, f"{name}-{start:012d}.tmp.npy")
            np.save(tmp, stack)
            os.replace(tmp, os.path.join(self.work, f"{name}-{start:012d}.npy"))

    def finish(self, meta):
        chunks = sorted(_chunk_starts(meta))
        for name, path in zip(_array_names(meta["per_item"]), self.files(meta["per_item"])):
            parts = [os.path.join(self.work, f"{name}-{s:012d}.npy") for s in chunks]
            shape, dtype = meta["shapes"][name], np.dtype(meta["dtypes"][name])
            # OME's axes: the items as T; an image's channels (its last axis) as C, stored before YX.
            channels = len(shape) == 3
            stored = (meta["count"], shape[2], shape[0], shape[1]) if channels else (meta["count"], *shape)
            described = {"axes": "TCYX" if channels else "TYX", "Description": json.dumps(meta)}
            pages = _pages(parts, channels)
            tmp = f"{path}.tmp"
            with self.tifffile.TiffWriter(tmp, ome=True, bigtiff=True) as tif:
                tif.write(pages, shape=stored, dtype=dtype, metadata=described, photometric="minisblack")
            os.replace(tmp, path)
        self._save_meta(meta)

    def read(self, meta):
        out = []
        for name, path in zip(_array_names(meta["per_item"]), self.files(meta["per_item"])):
            try:
                arr = self.tifffile.memmap(path, mode="r")
            except Exception:  # noqa: BLE001 - not memory-mappable (compressed, tiled): read instead
                arr = self.tifffile.imread(path)
            shape = meta["shapes"][name]
            if len(shape) == 3:  # stored TCYX: back to the pipeline's (N, Y, X, C)
                arr = np.moveaxis(arr.reshape(meta["count"], shape[2], shape[0], shape[1]), 1, -1)
            out.append(arr.reshape(meta["count"], *shape))
        return out


def _memmappable(tifffile, path):
    try:
        tifffile.memmap(path)
        return True
    except Exception:  # noqa: BLE001 - compressed or tiled: read instead
        return False


def _pages(parts, channels):
    """The planes of the part files in stored order (an item's channels first), one part in memory."""
    for p in parts:
        for item in np.load(p):
            if channels:
                yield from np.moveaxis(item, -1, 0)
            else:
                yield item


def _array_names(n):
    return ["images"] + [f"target_{k}" for k in range(1, n)]


def _chunk_starts(meta):
    return range(0, meta["count"], meta["chunk"])


def _backend(path):
    return _Tiff(path) if _is_tiff(path) else _Zarr(path)


# -- generate -------------------------------------------------------------------------------------


def generate(
    pipeline,
    count,
    path,
    seed=None,
    *,
    chunk=None,
    threads=0,
    processes=None,
    progress=True,
    overwrite=False,
    dtype=None,
):
    """Renders items ``0 .. count`` of ``pipeline``'s batch stream ``seed`` (item ``i`` is
    ``pipeline.resolve_batch(1, seed=seed, first=i)``) into ``path``: Zarr, or OME-TIFF when
    ``path`` ends in ``.ome.tif``; see this module's description for the layout, the table and
    resuming. Properties are stored on the pipeline (the table needs them).

    ``seed``: the stream (``None``: drawn from ``np.random``; when resuming, the stored one).
    ``chunk``: items per chunk (default: 64, fewer for small datasets; when resuming, the stored
    one): the unit of resuming and writing. ``threads``: library threads (0: one per core) for
    pipelines without Python callables, which render in this process while a thread writes the
    previous block. Pipelines with Python callables are rendered by ``processes`` forked worker
    processes (default: one per core), each rendering and writing whole chunks (``_store_workers``);
    where processes cannot be forked, or with ``processes=1``, in this process. ``progress``: a progress bar
    (tqdm when installed, else a line on standard error); False shows none; a callable is called with
    ``(done, count)`` instead. ``dtype``: the type the images are stored as (``None``: float32, what
    networks train on and DeepTrack2's torch ``Dataset`` hands by default; when resuming, the stored
    one): ``"float32"``, ``"float64"``, or an integer type (``"uint16"``, ...) for camera counts, whose
    values must then be whole numbers within its range (else a ``ValueError`` naming the item). It
    applies to the pipeline's float arrays (complex ones are stored as the complex type of its
    precision); boolean and integer arrays (``AsType``'s) keep their type. Returns the metadata
    stored (a dict)."""
    count = int(count)
    if count < 1:
        raise ValueError(f"generate: count must be at least 1, got {count}")
    store = _backend(path)
    description = _describe.describe(pipeline)
    found = store.metadata()
    if found is not None and overwrite:
        store.remove()
        found = None
    if dtype is not None:
        dtype = _storage_dtype(dtype)
    if found is not None:
        if seed is None:
            seed = found["seed"]
        if dtype is None:
            dtype = _found_dtype(found)
        if (found["description"], found["seed"], found["count"], _found_dtype(found)) != (
            description,
            int(seed),
            count,
            dtype,
        ):
            raise ValueError(
                f"generate: {path} holds another dataset (another pipeline, seed, count or dtype); pass "
                "overwrite=True to replace it, or another path"
            )
        if found.get("complete"):
            return found
    if seed is None:
        seed = _npseed.draw()
    if dtype is None:
        dtype = np.dtype(np.float32)
    seed = int(seed)
    if not 0 <= seed < 2**64:
        raise ValueError(f"generate: seed must be an integer in [0, 2**64), got {seed}")
    pipeline.store_properties()
    if found is not None:
        chunk = found["chunk"]  # the chunks done are the stored dataset's
    chunk = int(chunk) if chunk is not None else max(1, min(64, count // 8 or 1))
    if chunk < 1:
        raise ValueError(f"generate: chunk must be at least 1, got {chunk}")
    if found is not None:
        meta = found
        store.open_for_writing()
    else:
        meta = None
    starts = [s for s in range(0, count, chunk)]
    done = {s for s in starts if meta is not None and os.path.exists(_part(store, s))}
    todo = [s for s in starts if s not in done]
    items_done = sum(min(chunk, count - s) for s in done)
    if callable(progress):
        bar, report_to = None, progress
    else:
        bar = _progress.Bar(count, initial=items_done, enabled=bool(progress))
        report_to = bar.set
    python_callables = _batch.holds_python(pipeline)
    if meta is None:
        # Item 0 says what the arrays hold (shapes, dtypes, images per item): the store is made
        # before any chunk renders, so that every chunk may go to the workers.
        probe = _items.probe_item(pipeline, seed, 0)
        per_item = len(probe)
        stacks = _stacks([probe], per_item)
        meta = _metadata(pipeline, description, seed, count, chunk, per_item, stacks, dtype)
        names = _array_names(per_item)
        store.create(meta, [tuple(meta["shapes"][k]) for k in names], [np.dtype(meta["dtypes"][k]) for k in names])
    per_item = meta["per_item"]
    write_block = functools.partial(_write_block, dtypes=[np.dtype(meta["dtypes"][k]) for k in _array_names(per_item)])
    writer = _Writer()
    try:
        if todo and _on_workers(python_callables, processes):
            # Forked workers render and write whole chunks (_store_workers).
            done_so_far = [items_done]

            def chunk_done(n_items):
                done_so_far[0] += n_items
                report_to(done_so_far[0], count)

            workers = processes or _processes.cpu_count()
            _store_workers.render_and_write(
                pipeline, store, write_block, seed, chunk, count, per_item, todo, workers, chunk_done
            )
            todo = []
        i = 0
        while i < len(todo):
            # A block of consecutive chunks left to do, rendered at once (one batch of library
            # threads), written chunk by chunk on the writer thread while the next block renders.
            most = _block_chunks(meta, chunk)
            j = i + 1
            while j < len(todo) and j - i < most and todo[j] == todo[j - 1] + chunk:
                j += 1
            first, n = todo[i], min(todo[j - 1] + chunk, count) - todo[i]
            base = items_done

            def report(k, _total, base=base):
                report_to(base + k, count)

            items = _render_block(pipeline, seed, first, n, per_item, threads, processes, python_callables, report)
            writer.submit(write_block, store, first, chunk, items, per_item)
            items_done += n
            i = j
        writer.wait()
        meta["complete"] = True
        _write_table(store, meta)
        store.finish(meta)
        shutil.rmtree(store.work, ignore_errors=True)
    finally:
        writer.wait(raise_errors=False)
        if bar is not None:
            bar.close()
    return meta


def _part(store, start):
    return os.path.join(store.work, f"{start:012d}.csv")


def _stacks(items, per_item, dtypes=None, first=0):
    """The items' images as one array per image of an item (``(n, *shape)``), each of ``dtypes[j]``
    when given (integer types checked: see :func:`_fitting`); ``first`` is the first item's index."""
    out = []
    for j in range(per_item):
        arrays = [np.asarray(_plain(it[j])) for it in items]
        dtype = None if dtypes is None else dtypes[j]
        if dtype is None or dtype == arrays[0].dtype:
            out.append(np.stack(arrays))
        elif dtype.kind in "iu" and arrays[0].dtype.kind not in "iu":
            out.append(_fitting(np.stack(arrays), dtype, _array_names(per_item)[j], first))
        else:
            stack = np.empty((len(arrays), *arrays[0].shape), dtype=dtype)
            for k, a in enumerate(arrays):
                stack[k] = a  # cast while copying: no float64 stack first
            out.append(stack)
    return out


def _fitting(stack, dtype, name, first):
    """``stack`` (floats) as the integer type ``dtype``, when every value is a whole number in its range;
    otherwise a ValueError naming the array, the item and the value."""
    info = np.iinfo(dtype)
    whole = np.isfinite(stack) & (np.rint(stack) == stack)
    bad = ~whole | (stack < info.min) | (stack > info.max)
    if bad.any():
        at = np.unravel_index(int(np.argmax(bad)), stack.shape)
        value = float(stack[at])
        if not whole[at]:
            why = "not a whole number"
        elif value > info.max:
            why = f"which exceeds the maximum of {info.max} of {dtype}"
        else:
            why = f"which is below the minimum of {info.min} of {dtype}"
        raise ValueError(
            f"generate: {name} of item {first + at[0]} holds {value!r}, {why}: dtype={dtype.name!r} stores "
            "camera counts (whole numbers in its range); store float32 or float64 instead"
        )
    return stack.astype(dtype)


#: The types ``generate`` stores images as.
_STORABLE = "float32, float64 or an integer type (camera counts)"


def _storage_dtype(dtype):
    """``generate``'s ``dtype`` as a numpy dtype, checked."""
    try:
        found = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"generate: dtype must be {_STORABLE}, got {dtype!r}") from None
    if not ((found.kind == "f" and found.itemsize in (4, 8)) or found.kind in "iu"):
        raise ValueError(f"generate: dtype must be {_STORABLE}, got {found.name}")
    return found.newbyteorder("=")


def _found_dtype(meta):
    """The dtype a stored dataset was generated with (datasets from before ``dtype`` have their
    images' type)."""
    return np.dtype(meta.get("dtype", meta["dtypes"]["images"]))


def _stored_dtype(source, dtype):
    """The type an array of type ``source`` is stored as under ``generate``'s ``dtype``."""
    if source.kind == "f":
        return dtype
    if source.kind == "c":
        if dtype.kind != "f":
            raise ValueError(
                f"generate: the pipeline gives complex images, which dtype={dtype.name!r} cannot hold: "
                "store float32 or float64"
            )
        return np.dtype(np.complex64 if dtype.itemsize == 4 else np.complex128)
    return source


def _write_block(store, first, chunk, items, per_item, dtypes=None):
    """Writes the chunks of a block: each chunk's images (as ``dtypes``), then its table part (which
    marks it done)."""
    for offset in range(0, len(items), chunk):
        part = items[offset : offset + chunk]
        start = first + offset
        store.write(start, _stacks(part, per_item, dtypes, start))
        _write_csv(_part(store, start), [row for k, it in enumerate(part) for row in table_of(it[0], start + k)])


#: The most items and bytes a block of chunks rendered at once holds.
_BLOCK = 512
_BLOCK_BYTES = 256 << 20


def _block_chunks(meta, chunk):
    """How many chunks a block holds: up to _BLOCK items and _BLOCK_BYTES of images."""
    item_bytes = sum(int(np.prod(meta["shapes"][k])) * np.dtype(meta["dtypes"][k]).itemsize for k in meta["shapes"])
    items = max(chunk, min(_BLOCK, _BLOCK_BYTES // max(item_bytes, 1)))
    return max(1, items // chunk)


def _write_table(store, meta):
    """The table from the chunks' parts. Parts with one header (the same columns: one pipeline's
    particles) are joined as text, which is what reading and writing their rows again would give, at a
    fraction of the cost; parts whose columns differ are merged row by row into their union."""
    parts = [_part(store, s) for s in _chunk_starts(meta)]
    texts = []
    for path in parts:
        with open(path, encoding="utf-8", newline="") as f:
            texts.append(f.read())
    header = texts[0].partition("\n")[0] if texts else ""
    if '"' in header or any(t.partition("\n")[0] != header for t in texts):  # quoted names: row by row
        rows = []
        for path in parts:
            rows += _read_csv(path)
        _write_csv(store.table, rows)
        return
    tmp = f"{store.table}.tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(header + "\n")
        for t in texts:
            f.write(t.partition("\n")[2])
    os.replace(tmp, store.table)


def _plain(result):
    return result._value if isinstance(result, Image) else result


def _on_workers(python_callables, processes):
    """Whether the chunks left go to forked workers: for pipelines with Python callables (the library's
    threads cannot run them in parallel), unless ``processes`` is 1 or processes cannot be forked."""
    if not python_callables or processes == 1 or not _store_workers.available():
        return False
    return (processes or _processes.cpu_count()) > 1


def _render_block(pipeline, seed, start, n, per_item, threads, processes, python_callables, report):
    if python_callables and per_item == 1 and processes != 1:
        results = pipeline.resolve_batch(n, seed=seed, first=start, processes=0 if processes is None else processes)
        report(n, n)
        return [[r] for r in results]
    return _items.render(pipeline, n, seed, start, per_item, threads, None, report)


def _metadata(pipeline, description, seed, count, chunk, per_item, stacks, dtype):
    from . import __version__, library_version

    names = _array_names(per_item)
    return {
        "format_version": FORMAT_VERSION,
        "count": count,
        "seed": seed,
        "chunk": chunk,
        "per_item": per_item,
        "shapes": {k: list(st.shape[1:]) for k, st in zip(names, stacks)},
        "dtype": dtype.name,
        "dtypes": {k: _stored_dtype(st.dtype, dtype).name for k, st in zip(names, stacks)},
        "description": description,
        "pipeline_pickle": _describe.pickled(pipeline),
        "package_version": __version__,
        "library_version": library_version(),
        "complete": False,
    }


class _Writer:
    """Writes one chunk at a time on a background thread, while the next one renders."""

    def __init__(self):
        self.thread = None
        self.error = None

    def submit(self, fn, *args):
        self.wait()

        def run():
            try:
                fn(*args)
            except BaseException as e:  # noqa: BLE001 - raised on the calling thread
                self.error = e

        self.thread = threading.Thread(target=run, name="deeptrack-generate-writer", daemon=True)
        self.thread.start()

    def wait(self, raise_errors=True):
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.error is not None and raise_errors:
            error, self.error = self.error, None
            raise error


# -- load -----------------------------------------------------------------------------------------


class Stored:
    """A dataset read back by :func:`load`: ``images`` (N, ...) and ``targets`` (one array per extra
    image of an item; lazily read Zarr arrays or memory-mapped TIFF data: index them, or
    ``np.asarray``), ``table`` (a dict of column arrays, one row per particle per item),
    ``metadata`` (the dict ``generate`` stored: ``seed``, ``count``, ``description`` ...), ``dtype``
    (the numpy type the images were stored as: ``generate``'s ``dtype``)."""

    def __init__(self, arrays, table, metadata):
        self.dtype = _found_dtype(metadata)
        self.images = arrays[0]
        self.targets = arrays[1:]
        self.table = table
        self.metadata = metadata

    def __len__(self):
        return self.metadata["count"]

    def rows(self, item):
        """The table's rows of item ``item``, as a dict of column arrays."""
        keep = self.table["item"] == item if "item" in self.table else np.zeros(0, dtype=bool)
        return {k: v[keep] for k, v in self.table.items()}

    def pipeline(self):
        """The pipeline that generated the dataset, unpickled from the metadata (None when it did not
        pickle). Unpickling runs code: only for datasets you trust."""
        import base64
        import pickle

        data = self.metadata.get("pipeline_pickle")
        return None if data is None else pickle.loads(base64.b64decode(data))


def load(path):
    """Reads a dataset written by :func:`generate`: a :class:`Stored`. An incomplete dataset (an
    interrupted ``generate``: run it again to finish) raises a ``ValueError``."""
    store = _backend(path)
    meta = store.metadata()
    if meta is None:
        raise FileNotFoundError(f"load: {path} holds no dataset written by deeptrack_native.data.generate")
    if not meta.get("complete"):
        raise ValueError(f"load: {path} is incomplete (generation was interrupted): run generate again to finish it")
    return Stored(store.read(meta), _columns(_read_csv(store.table)), meta)
