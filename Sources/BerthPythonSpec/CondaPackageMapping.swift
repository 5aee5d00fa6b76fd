/// How conda package names translate to PyPI names.
///
/// Deliberately small: the common renames, plus conda packages that are
/// native libraries or conda machinery with no PyPI counterpart.
public enum CondaPackageMapping {
  /// Conda names whose PyPI distribution is called differently.
  public static let renames: [String: String] = [
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "py-xgboost": "xgboost",
    "py-xgboost-cpu": "xgboost",
    "py-xgboost-gpu": "xgboost",
    "tensorflow-gpu": "tensorflow",
    "msgpack-python": "msgpack",
    "matplotlib-base": "matplotlib",
    "pytables": "tables",
    "python-graphviz": "graphviz",
    "py-opencv": "opencv-python-headless",
    "opencv": "opencv-python-headless",
  ]

  /// Renames worth telling the user about because behaviour may differ.
  static let notableRenames: [String: String] = [
    "tensorflow-gpu": "PyPI's 'tensorflow' includes GPU support on Linux; 'tensorflow-gpu' is retired there.",
    "opencv": "installed as 'opencv-python-headless' (no GUI support).",
    "py-opencv": "installed as 'opencv-python-headless' (no GUI support).",
  ]

  /// Why dropping a conda-only package is harmless, for the common ones; the warning says so.
  static let dropReasons: [String: String] = [
    "mkl": "PyPI's numpy and scipy wheels bundle OpenBLAS instead",
    "mkl-service": "PyPI's numpy and scipy wheels bundle OpenBLAS instead",
    "intel-openmp": "PyPI wheels that need OpenMP bundle their own runtime",
    "cudatoolkit": "PyPI's torch and tensorflow wheels bundle the CUDA libraries they need",
    "cudnn": "PyPI's torch and tensorflow wheels bundle the CUDA libraries they need",
    "libgcc": "the machine's C runtime is used",
    "libgcc-ng": "the machine's C runtime is used",
    "_libgcc_mutex": "it only orders conda's own installs",
    "_openmp_mutex": "it only orders conda's own installs",
  ]

  /// Why a conda package cannot be installed from PyPI at all, or `nil` when it can be tried.
  ///
  /// R packages (`r-base`, `r-*`) are refused rather than dropped: a model that needs R does not run without it.
  static func refusal(_ name: String) -> String? {
    if name == "r" || name == "r-base" || name.hasPrefix("r-") {
      return "'\(name)' is an R package; PyPI has no R. Use 'solver: conda' on a machine with micromamba, or drop it."
    }
    return nil
  }

  /// Conda names that pip already provides and that are skipped silently.
  public static let implicit: Set<String> = ["pip", "python", "wheel"]

  /// Conda names with no PyPI counterpart (native libraries, CUDA, conda meta-packages).
  public static let condaOnly: Set<String> = [
    "_libgcc_mutex", "_openmp_mutex", "blas", "bzip2", "ca-certificates", "cpuonly", "cudatoolkit",
    "cuda-version", "cudnn", "intel-openmp", "ld_impl_linux-64", "libblas", "libcblas", "libffi", "libgcc",
    "libgcc-ng", "libgomp", "liblapack", "libopenblas", "libopencv", "libstdcxx-ng", "libuuid", "libzlib",
    "mkl", "mkl-include", "mkl-service", "mkl_fft", "mkl_random", "nccl", "ncurses", "nomkl", "openblas",
    "openssl", "python_abi", "pytorch-cuda", "pytorch-mutex", "readline", "sqlite", "tk", "xz", "zlib",
  ]
}
