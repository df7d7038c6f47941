// Errors thrown by the library, warnings returned beside its results.
// SPDX-License-Identifier: MIT
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace shadegap {

/// Base of every error the library throws. `subject` names what is wrong (a file,
/// an option, a model key); `message` says what is wrong with it, quoting the value.
/// what() is "subject: message".
class Error : public std::runtime_error {
public:
    Error(std::string subject, std::string message);
    const std::string& subject() const noexcept { return m_subject; }
    const std::string& message() const noexcept { return m_message; }
    /// A suggestion for the user ("use --overwrite"), or empty.
    const std::string& hint() const noexcept { return m_hint; }
    Error& with_hint(std::string hint) { m_hint = std::move(hint); return *this; }

private:
    std::string m_subject;
    std::string m_message;
    std::string m_hint;
};

/// Gives each error kind a with_hint() that keeps its type, so
/// `throw InputError(...).with_hint(...)` still throws an InputError.
template <typename Kind>
class ErrorOf : public Error {
public:
    using Error::Error;
    Kind& with_hint(std::string hint) & {
        Error::with_hint(std::move(hint));
        return static_cast<Kind&>(*this);
    }
    Kind&& with_hint(std::string hint) && {
        Error::with_hint(std::move(hint));
        return static_cast<Kind&&>(*this);
    }
};

/// A file, layer, field or value in the input data is wrong (exit status 1).
class InputError : public ErrorOf<InputError> { public: using ErrorOf::ErrorOf; };
/// A CRS is missing, unusable, or the data do not line up.
class CrsError : public ErrorOf<CrsError> { public: using ErrorOf::ErrorOf; };
/// A model file is malformed or asks for something impossible.
class ModelError : public ErrorOf<ModelError> { public: using ErrorOf::ErrorOf; };
/// A geometry cannot be used even after repair.
class GeometryError : public ErrorOf<GeometryError> { public: using ErrorOf::ErrorOf; };
/// An output cannot be written.
class OutputError : public ErrorOf<OutputError> { public: using ErrorOf::ErrorOf; };
/// Options that contradict each other or are missing (exit status 2).
class UsageError : public ErrorOf<UsageError> { public: using ErrorOf::ErrorOf; };
/// The caller stopped the run (thrown from its progress callback, e.g. on SIGINT); the
/// library unwinds and leaves no partial output. The CLI exits with 128 + the signal.
class Interrupted : public ErrorOf<Interrupted> { public: using ErrorOf::ErrorOf; };

/// A configuration key as the library's messages name it: between backquotes, in the
/// project file's syntax, with the value to give where the message suggests one:
/// key_text("rank_by", "FIELD") is "`rank_by = FIELD`", key_text("fields.population",
/// "COLUMN") is "`fields.population = COLUMN`", key_text("overwrite", "true") is
/// "`overwrite = true`", key_text("out") is "`out`". The keys are those of the project file
/// (run_options() in options.hpp) and of shade and sun (shade_keys(), sun_keys(): "tz",
/// "canopy_height"), the keywords of the Python module. The CLI shows each as its flag
/// (keys_as_flags() in options.hpp: "--rank-by FIELD", "--field population=COLUMN", "--tz").
inline std::string key_text(const std::string& key, const std::string& value = {}) {
    return "`" + key + (value.empty() ? std::string() : " = " + value) + "`";
}

/// A warning: the run goes on, the user is told, run.json records it.
struct Warning {
    std::string code;     ///< stable machine-readable kind, e.g. "geometry-repaired"
    std::string subject;  ///< file, unit id, model key, or a configuration key (subject_is_key)
    std::string message;
    /// The subject is a configuration key ("threads", "time"), which the CLI shows as its flag
    /// (flag_of_key() in options.hpp); otherwise it is shown as it is.
    bool subject_is_key = false;
};

/// Warnings collected while a stage runs. Not thread-safe: only the merging thread adds.
class Diagnostics {
public:
    void warn(std::string code, std::string subject, std::string message) {
        m_warnings.push_back({std::move(code), std::move(subject), std::move(message)});
    }
    /// A warning about an option: its subject is the configuration key ("threads").
    void warn_about_key(std::string code, std::string key, std::string message) {
        m_warnings.push_back({std::move(code), std::move(key), std::move(message), true});
    }
    const std::vector<Warning>& warnings() const noexcept { return m_warnings; }
    void append(const Diagnostics& other) {
        m_warnings.insert(m_warnings.end(), other.m_warnings.begin(), other.m_warnings.end());
    }

private:
    std::vector<Warning> m_warnings;
};

}  // namespace shadegap
