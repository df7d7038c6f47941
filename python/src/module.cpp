// The extension module shadegap._shadegap: the library's errors as Python exceptions.
// SPDX-License-Identifier: MIT
#include "bindings.hpp"

#include "shadegap/error.hpp"
#include "shadegap/version.hpp"

#include <string>

namespace shadegap::python {
namespace {

/// The Python classes of the library's error kinds, made once when the module loads.
struct ErrorClasses {
    PyObject* error = nullptr;
    PyObject* input = nullptr;
    PyObject* crs = nullptr;
    PyObject* model = nullptr;
    PyObject* geometry = nullptr;
    PyObject* output = nullptr;
    PyObject* usage = nullptr;
};

ErrorClasses& error_classes() {
    static ErrorClasses classes;
    return classes;
}

/// Raises `error` as an instance of `type`: str() is the library's "subject: message", and
/// the instance carries subject, message and hint.
void raise_as(PyObject* type, const Error& error) {
    py::object instance = py::reinterpret_borrow<py::object>(type)(std::string(error.what()));
    instance.attr("subject") = error.subject();
    instance.attr("message") = error.message();
    instance.attr("hint") = error.hint();
    PyErr_SetObject(type, instance.ptr());
}

PyObject* make_class(py::module_& module, const char* name, PyObject* base, const char* doc) {
    py::dict members;
    members["__doc__"] = doc;
    members["__module__"] = "shadegap";
    py::object bases = py::make_tuple(py::reinterpret_borrow<py::object>(base));
    py::object type = py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(&PyType_Type))(name, bases, members);
    module.attr(name) = type;
    return type.release().ptr();
}

}  // namespace

void register_errors(py::module_& module) {
    ErrorClasses& c = error_classes();
    c.error = make_class(module, "Error", PyExc_Exception,
                         "Base of every error shadegap raises. str(error) is the one line the command "
                         "line prints after 'shadegap: error: ', 'subject: message'; the attributes "
                         "subject (a file, option or model key), message and hint (or '') hold its parts.");
    c.input = make_class(module, "InputError", c.error,
                         "A file, layer, field or value in the input data is wrong (the CLI's exit status 1).");
    c.crs = make_class(module, "CrsError", c.error, "A CRS is missing, unusable, or the data do not line up.");
    c.model = make_class(module, "ModelError", c.error, "A model file is malformed or asks for something impossible.");
    c.geometry = make_class(module, "GeometryError", c.error, "A geometry cannot be used even after repair.");
    c.output = make_class(module, "OutputError", c.error,
                          "An output cannot be written (it exists without overwrite=True, or the folder is not writable).");
    c.usage = make_class(module, "UsageError", c.error,
                         "Options that are missing, unknown or contradict each other (the CLI's exit status 2).");

    py::register_exception_translator([](std::exception_ptr thrown) {
        const ErrorClasses& classes = error_classes();
        try {
            if (thrown) std::rethrow_exception(thrown);
        } catch (const Interrupted&) {
            PyErr_SetNone(PyExc_KeyboardInterrupt);
        } catch (const InputError& error) {
            raise_as(classes.input, error);
        } catch (const CrsError& error) {
            raise_as(classes.crs, error);
        } catch (const ModelError& error) {
            raise_as(classes.model, error);
        } catch (const GeometryError& error) {
            raise_as(classes.geometry, error);
        } catch (const OutputError& error) {
            raise_as(classes.output, error);
        } catch (const UsageError& error) {
            raise_as(classes.usage, error);
        } catch (const Error& error) {
            raise_as(classes.error, error);
        }
    });
}

ProgressFn progress_calling(const py::object& callback) {
    PyObject* function = callback.ptr();
    return [function](double fraction, std::string_view stage) {
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) {
            PyErr_Clear();
            throw Interrupted(std::string(stage), "interrupted");
        }
        if (function == Py_None) return;
        const py::handle callable{function};
        callable(fraction, std::string(stage));
    };
}

}  // namespace shadegap::python

PYBIND11_MODULE(_shadegap, module) {
    namespace sp = shadegap::python;
    module.doc() = "shadegap's library: the pipeline, the overlay, the sun and shade (see the package shadegap).";
    module.attr("__version__") = shadegap::version();
    sp::register_errors(module);
    sp::register_run(module);
    sp::register_rasters(module);
}
