"""DeepTrack2's ``config`` (``deeptrack.config``, from ``deeptrack.backend._config``): the device and
array backend settings.

In DeepTrack2 2.0.1 only the device changes a computation (``"gpu"`` moves arrays to cupy); the
backend and the image-wrapper flags are recorded and read back, nothing else. Here the settings are
recorded and read back alike; libdeeptrack computes on the CPU with numpy arrays, so a device other
than ``"cpu"`` or a backend other than ``"numpy"`` raises ``NotImplementedError`` rather than being
silently ignored.
"""

import warnings

__all__ = ["Config", "config"]


class Config:
    """The settings object (``dt.config``): ``set_device``/``get_device``, ``set_backend``/
    ``get_backend`` (and ``set_backend_numpy``), ``enable_image_wrapper``/``disable_image_wrapper``,
    ``gpu_enabled``."""

    def __init__(self):
        self.set_device("cpu")
        self.set_backend_numpy()
        self.disable_image_wrapper()

    @property
    def gpu_enabled(self):
        """Whether the device is ``"gpu"`` (never, here)."""
        return self.device == "gpu"

    def enable_gpu(self):
        """Deprecated in DeepTrack2 (``set_device``): the GPU is not available here."""
        warnings.warn("(enable/disable)_gpu is deprecated. Use set_device instead", DeprecationWarning, stacklevel=2)
        self.set_device("gpu")

    def disable_gpu(self):
        """Deprecated in DeepTrack2 (``set_device``): sets the device to ``"cpu"``."""
        warnings.warn("(enable/disable)_gpu is deprecated. Use set_device instead", DeprecationWarning, stacklevel=2)
        self.set_device("cpu")

    def set_device(self, device):
        """Sets the device: only ``"cpu"``, where libdeeptrack computes."""
        if device != "cpu":
            raise NotImplementedError(f"device {device!r}: libdeeptrack computes on the CPU only (device 'cpu')")
        self.device = device

    def get_device(self):
        """The device (``"cpu"``)."""
        return self.device

    def set_backend_numpy(self):
        """Sets the array backend to numpy (the only one)."""
        self.set_backend("numpy")

    def set_backend_cupy(self):
        """Not available: libdeeptrack's arrays are numpy's."""
        self.set_backend("cupy")

    def set_backend_torch(self):
        """Not available: libdeeptrack's arrays are numpy's (``deeptrack_native.pytorch`` converts
        results to tensors)."""
        self.set_backend("torch")

    def set_backend(self, backend):
        """Sets the array backend: only ``"numpy"``."""
        if backend != "numpy":
            raise NotImplementedError(
                f"backend {backend!r}: libdeeptrack's results are numpy arrays (backend 'numpy'); "
                "deeptrack_native.pytorch.ToTensor converts them to torch tensors"
            )
        self.backend = backend

    def get_backend(self):
        """The array backend (``"numpy"``)."""
        return self.backend

    def disable_image_wrapper(self):
        """Clears the image-wrapper flag (recorded, as in 2.0.1, where nothing reads it)."""
        self.image_wrapper = False

    def enable_image_wrapper(self):
        """Sets the image-wrapper flag (recorded, as in 2.0.1, where nothing reads it)."""
        self.image_wrapper = True

    def wrapper_enabled_context(self):
        """A context manager that sets the image-wrapper flag inside it (unless it is already set)."""
        config = self

        class _Null:
            def __enter__(self):
                return None

            def __exit__(self, *args):
                return None

        class _Wrapper:
            def __enter__(self):
                config.enable_image_wrapper()

            def __exit__(self, *args):
                config.disable_image_wrapper()

        return _Wrapper() if not self.image_wrapper else _Null()


#: The package's settings (``deeptrack_native.config``).
config = Config()
