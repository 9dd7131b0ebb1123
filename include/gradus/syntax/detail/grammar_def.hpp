// The rule-language grammar (rules/GRAMMAR.md) in Spirit X3.
//
// Included only by src/syntax/grammar.cpp. Rules carry no attributes: the
// semantic actions call the Builder (builder.hpp), which builds the public
// AST directly, so there is no intermediate Spirit-typed AST and no
// attribute-compatibility machinery to compile. Tokens are the primitives of
// lexer.hpp.
//
// Errors: every point after which the construct is certain is an
// expectation (`want(what, p)`, or `>` before a want), so a mistake raises
// x3::expectation_failure naming the expected thing in words. The
// `declaration` and `header` rules catch it in on_error, report E0101 and
// fail; the driver in grammar.cpp then skips to the next declaration.
//
// Where GRAMMAR.md leaves room, this grammar decides:
// - A call's '(' , a lookup's '[' and a number's unit word must be on the
//   same line as the name or number before them. Otherwise a table row
//   `-> weight` followed by the row `[0, 5) -> ...` would read as a lookup.
// - `clamp` is reserved (the score item) but `clamp(` in an expression is a
//   call, as GRAMMAR.md also lists clamp among the functions.
// - count/any/all followed by '(' are always aggregations; sum/min/max are
//   aggregations when 'over' follows the first argument, else calls.
// - In a supervision row, `measure NAME` / `incentive NAME` followed by a
//   string is not part of the row but the next declaration.
// - digits-digits-digits without spaces is a date (E0102 unless
//   YYYY-MM-DD); `10-5` is a subtraction.
// - A comparison followed by another comparison operator, 'in' or 'within'
//   is reported as a chained comparison.
#pragma once

#include <boost/spirit/home/x3.hpp>

#include "gradus/syntax/detail/builder.hpp"
#include "gradus/syntax/detail/lexer.hpp"

namespace gradus::syntax::detail::grammar {

using B = Builder;

/// Reports an expectation failure as E0101 and fails the rule, so the
/// driver can recover; used by the rules the driver calls.
struct error_handler {
  template <class Iterator, class Exception, class Context>
  x3::error_handler_result on_error(Iterator&, const Iterator&, const Exception& x,
                                    const Context& ctx) const {
    builder(ctx).syntax_error(x.where(), x.which());
    return x3::error_handler_result::fail;
  }
};

struct header_id : error_handler {};
struct declaration_id : error_handler {};

// ---------------------------------------------------------------- rules

x3::rule<header_id> const header = "the rulebook header";
x3::rule<declaration_id> const declaration = "a declaration";

x3::rule<class expr_id> const expr = "an expression";
x3::rule<class if_id> const if_expr = "an if expression";
x3::rule<class or_id> const or_expr = "an expression";
x3::rule<class and_id> const and_expr = "an expression";
x3::rule<class not_id> const not_expr = "an expression";
x3::rule<class cmp_id> const cmp_expr = "an expression";
x3::rule<class sum_id> const sum_expr = "an expression";
x3::rule<class prod_id> const prod_expr = "an expression";
x3::rule<class unary_id> const unary_expr = "an expression";
x3::rule<class primary_id> const primary = "an expression";
x3::rule<class postfix_id> const postfix = "a call, lookup or aggregation";
x3::rule<class kinds_id> const kinds = "record kinds";

x3::rule<class basis_ref_id> const basis_ref = "a legal basis";
x3::rule<class basis_clause_id> const basis_clause = "a basis clause";
x3::rule<class type_id> const type = "a type";
x3::rule<class member_id> const member = "a member";
x3::rule<class field_id> const field = "a field";
x3::rule<class row_id> const row = "a table row";
x3::rule<class score_item_id> const score_item = "a score item";
x3::rule<class tier_id> const tier = "a tier";
x3::rule<class action_id> const action = "an action";
x3::rule<class override_id> const override_ = "an override";
x3::rule<class sup_row_id> const sup_row = "a supervision row";

x3::rule<class law_id> const law = "a law";
x3::rule<class enum_id> const enum_ = "an enum";
x3::rule<class scale_id> const scale = "a scale";
x3::rule<class schema_id> const schema = "a schema";
x3::rule<class const_id> const const_ = "a constant";
x3::rule<class let_id> const let = "a let";
x3::rule<class table_id> const table = "a table";
x3::rule<class measure_id> const measure = "a measure";
x3::rule<class score_id> const score = "a score";
x3::rule<class tiers_id> const tiers = "tiers";
x3::rule<class overrides_id> const overrides = "overrides";
x3::rule<class supervision_id> const supervision = "supervision";
x3::rule<class summary_id> const summary = "a summary";
x3::rule<class sanction_id> const sanction = "a sanction";
x3::rule<class input_id> const breach_input = "a breach input";
x3::rule<class breaches_id> const breaches = "breaches";
x3::rule<class pitem_id> const penalty_item = "a penalty item";
x3::rule<class penalty_id> const penalty = "a penalty";
x3::rule<class proportion_id> const proportion = "a proportion";
x3::rule<class drow_id> const discretion_row = "a discretion row";
x3::rule<class discretion_id> const discretion = "discretion";
x3::rule<class variant_set_id> const variant_set = "a constant's value";
x3::rule<class variant_id> const variant = "a variant";
x3::rule<class category_row_id> const category_row = "a category";
x3::rule<class categories_id> const categories = "categories";

// ---------------------------------------------------------------- tokens

inline constexpr operator_parser cmp_op{"<=", ">=", "!=", "=", "<", ">"};
inline constexpr operator_parser add_op{"+", "-"};
inline constexpr operator_parser mul_op{"*", "/"};

inline constexpr auto lparen = sym("(");
inline constexpr auto rparen = sym(")");
inline constexpr auto comma = sym(",");
inline constexpr auto colon = sym(":");
inline constexpr auto arrow = sym("->");

/// A sub-expression that must be there.
auto const ex = want("an expression", expr);

// ---------------------------------------------------------------- expressions

// Every way into a sub-expression passes through `expr` (or the '-' and
// 'not' recursions), each under deep[] so nesting is bounded.
auto const expr_def = deep[if_expr | or_expr];

auto const if_expr_def =
    kw("if")[act<&B::mark>] > ex > want("'then' after the condition", kw("then")) > ex >
    want("'else'", kw("else")) > ex[act<&B::make_if>];

auto const or_expr_def =
    and_expr >> *(kw("or")[act<&B::op_or>] > want("an expression after 'or'", and_expr)[act<&B::reduce>]);

auto const and_expr_def =
    not_expr >> *(kw("and")[act<&B::op_and>] > want("an expression after 'and'", not_expr)[act<&B::reduce>]);

auto const not_expr_def =
    (kw("not")[act<&B::mark>] > want("an expression after 'not'", deep[not_expr])[act<&B::make_not>]) |
    cmp_expr;

// A comparison does not chain: `a < b < c` is an error, reported as such.
auto const no_chain = want(Builder::kChainMarker.data(), !(cmp_op | kw("in") | kw("within")));

auto const cmp_expr_def =
    sum_expr >>
    -((cmp_op[act<&B::op>] > want("an expression after the comparison", sum_expr)[act<&B::reduce>] > no_chain) |
      (kw("in") > want("a band such as [0, 10) after 'in'", band)[act<&B::make_in>] > no_chain) |
      (kw("within") > want("a period after 'within'", sum_expr)[act<&B::make_within>] > no_chain));

auto const sum_expr_def =
    prod_expr >> *(add_op[act<&B::op>] > want("an expression after the operator", prod_expr)[act<&B::reduce>]);

auto const prod_expr_def =
    unary_expr >> *(mul_op[act<&B::op>] > want("an expression after the operator", unary_expr)[act<&B::reduce>]);

auto const unary_expr_def =
    (sym("-", '>')[act<&B::mark>] > want("an expression after '-'", deep[unary_expr])[act<&B::make_neg>]) |
    primary;

auto const number_literal =
    number[act<&B::push_number>] >> -(sym("%")[act<&B::set_percent>] | (same_line >> unit_word[act<&B::set_unit>]));

// `clamp` is reserved (the score item) but also a function: `clamp(x, lo, hi)`.
auto const clamp_call = kw("clamp") >> same_line >> &lparen;

auto const primary_def =
    (lparen[act<&B::mark>] > ex > want("')'", rparen)[act<&B::close_paren>]) |
    ((ident[act<&B::push_name>] | spanned[clamp_call][act<&B::push_clamp>]) >> -(same_line >> postfix)) |
    kw("score")[act<&B::push_score>] |
    date_lit[act<&B::push_date>] |
    number_literal |
    string_lit[act<&B::push_string>] |
    kw("true")[act<&B::push_true>] |
    kw("false")[act<&B::push_false>];

auto const want_kinds = want("record kinds ('records' or kind names)", kinds);
auto const aggregate_where = -(kw("where") > ex[act<&B::attach_where>]);
auto const close_aggregate = want("')' to close the aggregation", rparen)[act<&B::close_open>];
inline constexpr fail_parser<&B::call_close_expected> call_close_error{};

// The name is on the stack; what follows decides what it becomes:
// count/any/all( kinds ...), sum/min/max(e over kinds ...), f(args), t[key].
auto const postfix_def =
    (lparen[act<&B::open_kinds_aggregate>] > want_kinds > aggregate_where > close_aggregate) |
    (lparen[act<&B::open_call>] > ex[act<&B::attach_arg>] >
     ((kw("over")[act<&B::to_aggregate>] > want_kinds > aggregate_where >
       -(kw("otherwise") > ex[act<&B::attach_otherwise>]) > close_aggregate) |
      (*(comma > ex[act<&B::attach_arg>]) >> (rparen[act<&B::close_open>] | call_close_error)))) |
    (sym("[")[act<&B::open_lookup>] > ex[act<&B::attach_arg>] >
     want("']' to close the lookup", sym("]"))[act<&B::close_open>]);

auto const kinds_def =
    kw("records") |
    (ident[act<&B::aggregate_kind>] >> *(comma > want("a record kind after ','", ident)[act<&B::aggregate_kind>]));

BOOST_SPIRIT_DEFINE(expr, if_expr, or_expr, and_expr, not_expr, cmp_expr, sum_expr, prod_expr, unary_expr,
                    primary, postfix, kinds)

// ---------------------------------------------------------------- shared pieces

auto const basis_ref_def = string_lit[act<&B::basis_text>] | ident[act<&B::basis_law>];

auto const basis_clause_def =
    kw("basis") > want("a legal basis (a string or a law name) after 'basis'", basis_ref);

auto const type_def =
    spanned[ident[act<&B::type_name>] >>
        -(kw("of")[act<&B::type_is_kind>] > want("a record kind after 'kind of'", ident)[act<&B::type_kind>] >
          *(comma > want("a record kind after ','", ident)[act<&B::type_kind>]))][act<&B::close_type>];

auto const member_def =
    spanned[ident[act<&B::member_name>] >>
        -(lparen > want("a label (a string or a number)",
                        string_lit[act<&B::member_label_string>] | number[act<&B::member_label_number>]) >
          want("')' after the label", rparen))][act<&B::close_member>];

BOOST_SPIRIT_DEFINE(basis_ref, basis_clause, type, member)

// ---------------------------------------------------------------- header

auto const header_def =
    spanned[kw("rulebook")[act<&B::open_header>] >
        want("the rulebook title (a string) after 'rulebook'", string_lit)[act<&B::header_title>] >
        *((kw("version") > want("a version string after 'version'", string_lit)[act<&B::header_version>]) |
          (kw("effective") > want("a date (YYYY-MM-DD) after 'effective'", date_strict)[act<&B::header_from>] >
           -(kw("to") > want("a date (YYYY-MM-DD) after 'to'", date_strict)[act<&B::header_to>])) |
          spanned[basis_clause][act<&B::header_basis>])][act<&B::close_header>];

BOOST_SPIRIT_DEFINE(header)

// ---------------------------------------------------------------- declarations

auto const law_def =
    spanned[kw("law")[act<&B::open_law>] > want("a law name after 'law'", ident)[act<&B::law_name>] >
        want("the law's citation (a string)", string_lit)[act<&B::law_text>]][act<&B::close_law>];

auto const enum__def =
    spanned[kw("enum")[act<&B::open_enum>] > want("an enum name after 'enum'", ident)[act<&B::enum_name>] >
        want("':' after the enum name", colon) > want("a member name", member) >
        *(comma > want("a member name after ','", member))][act<&B::close_enum>];

auto const scale_def =
    spanned[kw("scale")[act<&B::open_scale>] > want("a scale name after 'scale'", ident)[act<&B::enum_name>] >
        want("':' after the scale name", colon) > want("a member name", member) >
        *(sym("<", '=') > want("a member name after '<'", member))][act<&B::close_enum>];

auto const field_def =
    spanned[ident[act<&B::field_name>] > want("':' after field name", colon) >
        want("a type after ':'", type)[act<&B::field_type>] >
        -(kw("in") > want("a set of allowed values such as {0, 5, 10}", value_set)[act<&B::field_allowed>]) >
        -(kw("for") > want("a record kind after 'for'", ident)[act<&B::field_for>] >
          *(comma > want("a record kind after ','", ident)[act<&B::field_for>]))][act<&B::close_field>];

auto const schema_def =
    spanned[(kw("subjects")[act<&B::open_subjects>] | kw("records")[act<&B::open_records>]) >
        want("a field (name: type)", field) > *field][act<&B::close_schema>];

auto const const__def =
    spanned[kw("const")[act<&B::open_const>] > want("a name after 'const'", ident)[act<&B::const_name>] >
        want("'=' after the name", sym("=")) > ex[act<&B::const_value>]][act<&B::close_const>];

auto const let_def =
    spanned[kw("let")[act<&B::open_let>] > want("a name after 'let'", ident)[act<&B::let_name>] >
        want("'=' after the name", sym("=")) > ex[act<&B::let_value>]][act<&B::close_let>];

auto const row_def =
    spanned[(band[act<&B::row_band>] > want("'->' after the band", arrow) > ex[act<&B::row_value>]) |
        (kw("otherwise")[act<&B::row_otherwise>] > want("'->' after 'otherwise'", arrow) > ex[act<&B::row_value>]) |
        (ident[act<&B::row_first_key>] > *(comma > want("a key after ','", ident)[act<&B::row_key>]) >
         want("',' or '->' after the key", arrow) > ex[act<&B::row_value>])][act<&B::close_row>];

auto const table_def =
    spanned[kw("table")[act<&B::open_table>] > want("a table name after 'table'", ident)[act<&B::table_name>] >
        want("'(' after the table name", lparen) > want("a parameter name", ident)[act<&B::table_param>] >
        want("':' after the parameter name", colon) > want("the key type", type)[act<&B::table_key_type>] >
        want("')' after the key type", rparen) > want("'->' and the value type", arrow) >
        want("the value type", type)[act<&B::table_value_type>] >
        want("a table row (a band, keys or 'otherwise', then '->')", row) > *row][act<&B::close_table>];

auto const measure_def =
    spanned[(kw("measure")[act<&B::open_measure>] | kw("incentive")[act<&B::open_incentive>]) >
        want("a name", ident)[act<&B::measure_name>] >
        want("a label (a string) after the name", string_lit)[act<&B::measure_label>] >
        -spanned[basis_clause][act<&B::measure_basis>]][act<&B::close_measure>];

auto const score_item_def =
    spanned[(kw("start")[act<&B::item_start>] > want("'at' after 'start'", kw("at")) > ex[act<&B::item_value>]) |
        ((kw("add")[act<&B::item_add>] | kw("deduct")[act<&B::item_deduct>]) >
         want("a name for the contribution", ident)[act<&B::item_name>] >
         -(kw("in") > want("a group name after 'in'", ident)[act<&B::item_group>]) >
         want("':' after the contribution's name", colon) > ex[act<&B::item_value>]) |
        (kw("cap")[act<&B::item_cap>] > want("a group name after 'cap'", ident)[act<&B::item_name>] >
         want("'at' after the group name", kw("at")) > ex[act<&B::item_value>]) |
        (kw("clamp")[act<&B::item_clamp>] > ex[act<&B::item_value>] >
         want("'to' after the lower limit", kw("to")) > ex[act<&B::item_high>])][act<&B::close_item>];

auto const score_def =
    spanned[kw("score")[act<&B::open_score>] >
        want("a score item ('start at', 'add', 'deduct', 'cap' or 'clamp')", score_item) >
        *score_item][act<&B::close_score>];

auto const tier_def =
    spanned[ident[act<&B::tier_name>] > -string_lit[act<&B::tier_label>] >
        ((kw("by") > want("'override' after 'by'", kw("override"))[act<&B::tier_by_override>]) |
         (want("a band such as [90, inf)", band)[act<&B::tier_band>] >
          -(kw("requires") > ex[act<&B::tier_requires>])))][act<&B::close_tier>];

auto const tiers_def =
    spanned[kw("tiers")[act<&B::open_tiers>] > want("a tier (a name and a band)", tier) > *tier][act<&B::close_tiers>];

auto const action_def =
    (kw("force")[act<&B::action_force>] > want("a tier name after 'force'", ident)[act<&B::override_tier>]) |
    (kw("at") > want("'most' or 'least' after 'at'",
                     kw("most")[act<&B::action_at_most>] | kw("least")[act<&B::action_at_least>]) >
     want("a tier name", ident)[act<&B::override_tier>]);

auto const override__def =
    spanned[ident[act<&B::override_name>] > want("':' after the override's name", colon) >
        want("an action ('force', 'at most' or 'at least')", action) >
        want("'when' and a condition", kw("when")) > ex[act<&B::override_when>] >
        want("'because' and a reason", kw("because")) >
        want("the reason (a string) after 'because'", string_lit)[act<&B::override_because>] >
        -spanned[basis_clause][act<&B::override_basis>]][act<&B::close_override>];

auto const overrides_def =
    kw("overrides")[act<&B::open_overrides>] >
    want("an override (name: action when condition because \"reason\")", override_) > *override_;

// `measure NAME` / `incentive NAME` inside a row, unless a string follows:
// then it is the next declaration (`measure NAME "label"`).
auto const sup_reference = &(ident >> !sym("\""));

auto const sup_row_def =
    spanned[kw("tier")[act<&B::sup_row>] > want("a tier name after 'tier'", ident)[act<&B::sup_tier>] >
        *((kw("sampling") > (band[act<&B::sup_sampling_band>] | ex[act<&B::sup_sampling>])) |
          (kw("interval") > ex[act<&B::sup_interval>]) |
          (kw("checks") > want("a band of inspections per year such as [1, 2]", band)[act<&B::sup_checks>]) |
          ((kw("incentive") >> sup_reference) > ident[act<&B::sup_incentive>] >
           -(kw("when") > ex[act<&B::sup_incentive_when>])) |
          ((kw("measure") >> sup_reference) > ident[act<&B::sup_measure>] >
           -(kw("when") > ex[act<&B::sup_measure_when>])))][act<&B::close_sup_row>];

auto const supervision_def =
    spanned[kw("supervision")[act<&B::open_supervision>] >
        -(kw("for") > want("a variant name after 'for'", ident)[act<&B::supervision_for>]) >
        want("a supervision row ('tier' and a tier name)", sup_row) >
        *sup_row][act<&B::close_supervision>];

auto const summary_def =
    spanned[kw("summary")[act<&B::open_summary>] > want("'by' after 'summary'", kw("by")) >
        want("a field name after 'by'", ident)[act<&B::summary_field>]][act<&B::close_summary>];

// ---------------------------------------------------------------- penalties (rules/PENALTIES.md)

// `rank 20 days`: the rank is a bare number so that a unit word after it is the unit.
auto const sanction_def =
    spanned[kw("sanction")[act<&B::open_sanction>] > want("a measure name after 'sanction'", ident)[act<&B::sanction_name>] >
        want("a label (a string) after the name", string_lit)[act<&B::sanction_label>] >
        want("'rank' and a number", kw("rank")) > want("a rank (a whole number)", number)[act<&B::sanction_rank>] >
        -(kw("money")[act<&B::sanction_unit>] | kw("days")[act<&B::sanction_unit>] | kw("period")[act<&B::sanction_unit>]) >
        -(kw("cap") > ex[act<&B::sanction_cap>]) > -spanned[basis_clause][act<&B::sanction_basis>]][act<&B::close_sanction>];

auto const breach_input_def =
    spanned[ident[act<&B::input_name>] > want("':' after the input's name", colon) >
        want("a type after ':'", type)[act<&B::input_type>] >
        -(kw("increasing")[act<&B::input_increasing>] | kw("decreasing")[act<&B::input_decreasing>])][act<&B::close_input>];

auto const breaches_def =
    spanned[kw("breaches")[act<&B::open_breaches>] > want("a breach input (name: type)", breach_input) >
        *breach_input][act<&B::close_breaches>];

auto const penalty_when =
    -((kw("when") > ex[act<&B::pitem_when>]) | kw("otherwise")[act<&B::pitem_otherwise>]);

auto const penalty_item_def =
    spanned[(kw("define")[act<&B::item_define>] > want("a name after 'define'", ident)[act<&B::pitem_name>] >
         want("'=' after the name", sym("=")) > ex[act<&B::pitem_value>]) |
        (kw("level")[act<&B::item_level>] > want("a discretion level after 'level'", ident)[act<&B::pitem_name>] >
         penalty_when > -spanned[basis_clause][act<&B::pitem_basis>]) |
        ((kw("impose")[act<&B::item_impose>] | kw("escalate")[act<&B::item_escalate>]) >
         want("a measure name", ident)[act<&B::pitem_name>] >
         -((kw("from") > ex[act<&B::pitem_from>] > want("'to' and the high end of the range", kw("to")) >
            ex[act<&B::pitem_high>]) |
           (kw("for") > ex[act<&B::pitem_value>])) >
         penalty_when > -kw("also")[act<&B::pitem_also>] >
         -spanned[basis_clause][act<&B::pitem_basis>])][act<&B::close_pitem>];

auto const penalty_def =
    spanned[kw("penalty")[act<&B::open_penalty>] > want("a rule name after 'penalty'", ident)[act<&B::penalty_name>] >
        -string_lit[act<&B::penalty_label>] > -spanned[basis_clause][act<&B::penalty_basis>] >
        want("a penalty item ('define', 'level', 'impose' or 'escalate')", penalty_item) >
        *penalty_item][act<&B::close_penalty>];

auto const proportion_def =
    spanned[kw("proportion")[act<&B::open_proportion>] > want("a penalty rule name", ident)[act<&B::proportion_rule>] >
        want("'<=' and a second rule", sym("<=")) > want("a penalty rule name after '<='", ident)[act<&B::proportion_rule>] >
        *(sym("<=") > want("a penalty rule name after '<='", ident)[act<&B::proportion_rule>])][act<&B::close_proportion>];

auto const discretion_row_def =
    spanned[ident[act<&B::drow_level>] > want("'from' after the level", kw("from")) > ex[act<&B::drow_low>] >
        want("'to' after the low end", kw("to")) > ex[act<&B::drow_high>] >
        -(kw("of") > want("'minimum' after 'of'", kw("minimum"))[act<&B::drow_of_minimum>])][act<&B::close_drow>];

auto const discretion_def =
    spanned[kw("discretion")[act<&B::open_discretion>] > want("a discretion row (level from P to Q)", discretion_row) >
        *discretion_row][act<&B::close_discretion>];

// `variant city "label" [basis x]` then `const_name = value` lines.
auto const variant_set_def =
    spanned[ident[act<&B::variant_set_name>] > want("'=' after the constant's name", sym("=")) >
        ex[act<&B::variant_set_value>]][act<&B::close_variant_set>];

auto const variant_def =
    spanned[kw("variant")[act<&B::open_variant>] > want("a variant name after 'variant'", ident)[act<&B::variant_name>] >
        want("the variant's label (a string)", string_lit)[act<&B::variant_label>] >
        -spanned[basis_clause][act<&B::variant_basis>] > *variant_set][act<&B::close_variant>];

// `categories` then rows `name "file.gradus" [variant v]`.
auto const category_row_def =
    spanned[ident[act<&B::category_name>] >
        want("the category's rulebook file (a string)", string_lit)[act<&B::category_path>] >
        -(kw("variant") > want("a variant name after 'variant'", ident)[act<&B::category_variant>])][act<&B::close_category>];

auto const categories_def =
    kw("categories")[act<&B::open_categories>] >
    want("a category (a name and a rulebook file)", category_row) > *category_row;

auto const declaration_def =
    law | enum_ | scale | schema | const_ | let | table | measure | score | tiers | overrides | supervision | summary |
    sanction | breaches | penalty | proportion | discretion | variant | categories;

BOOST_SPIRIT_DEFINE(law, enum_, scale, field, schema, const_, let, row, table, measure, score_item, score)
BOOST_SPIRIT_DEFINE(tier, tiers, action, override_, overrides, sup_row, supervision, summary, declaration)
BOOST_SPIRIT_DEFINE(sanction, breach_input, breaches, penalty_item, penalty, proportion, discretion_row, discretion)
BOOST_SPIRIT_DEFINE(variant_set, variant, category_row, categories)

}  // namespace gradus::syntax::detail::grammar
