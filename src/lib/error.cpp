// Error: subject and message joined for what().
// SPDX-License-Identifier: MIT
#include "shadegap/error.hpp"

namespace shadegap {

Error::Error(std::string subject, std::string message)
    : std::runtime_error(subject.empty() ? message : subject + ": " + message),
      m_subject(std::move(subject)),
      m_message(std::move(message)) {}

}  // namespace shadegap
