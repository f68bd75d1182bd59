"""``ImageFolder``: a source of the image files of a directory tree, labelled by their first-level
folder (DeepTrack2 2.0.1's ``deeptrack.sources.folder``)."""

import glob
import os

from .base import Source

__all__ = ["ImageFolder", "known_extensions"]

#: The file extensions ImageFolder takes for images.
known_extensions = ["png", "jpg", "jpeg", "tif", "tiff", "bmp", "gif"]


class ImageFolder(Source):
    """The image files under ``root`` (any depth, extensions of :data:`known_extensions`), sorted by
    path, as a source of the columns ``path``, ``label`` (an integer per first-level folder) and
    ``label_name`` (that folder's name). ``classes`` lists the folder names in label order.

    Labels are given to the folder names in sorted order (DeepTrack2 2.0.1 numbers them in the order
    of a Python set, which changes from run to run)."""

    def __init__(self, root):
        self._root = root
        paths = [
            p
            for p in glob.glob(f"{root}/**/*", recursive=True)
            if os.path.isfile(p) and p.split(".")[-1] in known_extensions
        ]
        paths.sort()
        self._paths = paths
        names = [self.get_category_name(p, 0) for p in paths]
        self._category_to_int = {name: i for i, name in enumerate(sorted(set(names)))}
        self._int_to_category = {i: name for name, i in self._category_to_int.items()}
        super().__init__(path=paths, label=[self._category_to_int[n] for n in names], label_name=names)

    @property
    def classes(self):
        """The folder names, in the order of their labels."""
        return list(self._category_to_int)

    def __len__(self):
        return len(self._paths)

    def get_category_name(self, path, directory_level):
        """The name of the folder at depth ``directory_level`` of ``path`` below the root."""
        relative = path.replace(self._root, "", 1).lstrip(os.sep)
        return relative.split(os.sep)[directory_level] if relative else ""

    def label_to_name(self, label):
        """The folder name of ``label``."""
        return self._int_to_category[label]

    def name_to_label(self, name):
        """The label of the folder ``name``."""
        return self._category_to_int[name]

    def split(self, *splits):
        """One ``ImageFolder`` per named first-level folder (all of them, sorted, when none is named),
        e.g. ``train, test = ImageFolder(root).split("train", "test")``. Activating an item of a split
        also sets this folder's nodes to that item's values."""
        available = {self.get_category_name(p, 0) for p in self._paths}
        if not splits:
            if not available:
                raise ValueError("No categories to split into")
            return self.split(*sorted(available))
        unknown = [s for s in splits if s not in available]
        if unknown:
            raise ValueError(f"Unknown split. Available splits are {available}")

        def update_root(item):
            for key in item:
                getattr(self, key).set_value(item[key])

        out = []
        for name in splits:
            part = ImageFolder(os.path.join(self._root, name))
            part.on_activate(update_root)
            out.append(part)
        return tuple(out)
