// The second error channel: broken infrastructure, not bad rule text.
//
// I/O failures, bad options and malformed data files are exceptions derived
// from gradus::Error; mistakes in rule text are Diagnostics (diagnostic.hpp)
// and never thrown.
#pragma once

#include <stdexcept>
#include <string>

namespace gradus {

/// Base of every exception gradus throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A file could not be opened, read or written.
class IoError : public Error {
 public:
  using Error::Error;
};

/// Input data (CSV) is malformed; the message names file, line and field.
class DataError : public Error {
 public:
  using Error::Error;
};

/// An API was called with arguments it does not accept (bad options, a
/// rulebook with errors passed to compile, mismatched tables).
class UsageError : public Error {
 public:
  using Error::Error;
};

}  // namespace gradus
