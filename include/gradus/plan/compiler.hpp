// Compiling: CheckedRulebook -> Plan.
#pragma once

#include <memory>

#include "gradus/check/checker.hpp"
#include "gradus/plan/plan.hpp"

namespace gradus {

/// Compiles a checked rulebook. `source` is kept in the plan so that
/// explanations can quote the rule text.
Plan compile(const CheckedRulebook& checked, std::shared_ptr<const Source> source);

}  // namespace gradus
