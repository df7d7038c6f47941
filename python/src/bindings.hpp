// The parts of the Python module shadegap._shadegap, each registered by its own file.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/progress.hpp"

#include <pybind11/pybind11.h>

namespace shadegap::python {

namespace py = pybind11;

/// shadegap.Error and its subclasses, and the translation of the library's errors into them.
void register_errors(py::module_& module);
/// run(), walks() and plan(): options() and the RunConfig built from a project file and keywords.
void register_run(py::module_& module);
/// overlay(), sun(), shadows(), run_shade(), and reading and writing rasters.
void register_rasters(py::module_& module);

/// A progress function for a call that runs without the GIL: it takes the GIL, stops the call
/// with KeyboardInterrupt when Ctrl-C was pressed (shadegap::Interrupted, no partial output),
/// then calls `callback(fraction, stage)` unless `callback` is None. `callback` must outlive
/// the call; it is held by a plain pointer so that copies of the function need no GIL.
ProgressFn progress_calling(const py::object& callback);

}  // namespace shadegap::python
