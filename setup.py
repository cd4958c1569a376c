"""Build step for the optional CPU kernels (walk_with_dl/csrc/*.cc, called through jax.ffi).

Everything else is in pyproject.toml. The kernels are compiled at `pip install` time with this
machine's C++ compiler and the XLA FFI headers that jaxlib ships (a build requirement). They are
optional: if the compiler or the headers are missing, or compiling fails, the install still
succeeds (with a warning) and walk_with_dl falls back to its pure-JAX code
(`walk_with_dl.nn.recurrent.lstm_backend_info()` says which path runs and why).
Set WWDL_NO_KERNELS=1 to skip the build.
"""
import os, sys
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    "Compile the kernels if possible; never fail the install."

    def build_extensions(self):
        try:
            import jaxlib, pathlib
            include = pathlib.Path(jaxlib.__file__).parent / "include"
            if not (include / "xla" / "ffi" / "api" / "ffi.h").exists(): raise FileNotFoundError(include / "xla/ffi/api/ffi.h")
        except Exception as e:
            self.warn(f"walk_with_dl: CPU kernels not built (no XLA FFI headers: {e!r}); the pure-JAX code will run")
            return
        for ext in self.extensions: ext.include_dirs.append(str(include))
        native = self._accepts("-march=native")
        for ext in self.extensions:
            ext.extra_compile_args += ["-std=c++17", "-O3", "-ffast-math", "-fopenmp-simd",
                                       "-Wno-attributes", "-Wno-return-type"] + (["-march=native"] if native else [])
            ext.extra_link_args += ["-pthread"]
        try:
            super().build_extensions()
        except Exception as e:
            self.warn(f"walk_with_dl: CPU kernels not built ({e!r}); the pure-JAX code will run")

    def _accepts(self, flag):
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "probe.cc")
            with open(src, "w") as f: f.write("int main() { return 0; }\n")
            try:
                self.compiler.compile([src], output_dir=tmp, extra_postargs=[flag])
                return True
            except Exception:
                return False

    def get_export_symbols(self, ext): return []   # a ctypes library: no PyInit_ function to export


kernels = [] if os.environ.get("WWDL_NO_KERNELS") else [
    Extension("walk_with_dl._cpu_kernels", sources=["walk_with_dl/csrc/lstm_cpu.cc"], language="c++", optional=True)]
setup(ext_modules=kernels, cmdclass={"build_ext": OptionalBuildExt})
