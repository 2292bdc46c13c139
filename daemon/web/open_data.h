#pragma once

#include <string>
#include <vector>

#include "ldgs/v1/record.pb.h"

// The hub's open data: public practices and stories, and the figures it published, as CSV
// (RFC 4180, CRLF line ends) and JSON arrays. Pure. What is public is decided before; as a
// last guard the record exports skip anything not VISIBILITY_PUBLIC or deleted.
//
// CSV text fields are guarded against formula injection: one starting with = + - @, tab or
// CR gets a leading apostrophe, so a spreadsheet shows it instead of evaluating it. Lists
// are joined with ';'. Numbers are written exactly (the shortest text that reads back).
namespace ldgs::daemon::web {

// Header: origin,id,kind,version,updated,title,summary_or_body,issue_areas,communities,
// strategies,tags,adapted_from,adopted_period,outcome. One row per practice or story (other
// kinds are skipped); updated in ISO 8601 UTC, adapted_from as ORIGIN/ID, outcome as
// "worked", "mixed", "did-not-work-here", "too-early" or empty.
std::string RecordsCsv(const std::vector<v1::Record>& records);

// The same rows as objects with the same keys: lists as arrays, adapted_from as
// {"origin","id"} (absent when none), version as a number.
std::string RecordsJson(const std::vector<v1::Record>& records);

// Header: hub,metric,period,scope,reporting,expected,completeness,value,mean,change,
// at_target,withheld,suppressed. A withheld cell has every figure but `expected` empty and
// withheld "true"; a suppressed field (the names in Rollup.suppressed, joined with ';') or
// an unset one is empty.
// Contributions (hub-only, sent up the tree) and "what's working" cells are skipped.
std::string RollupsCsv(const std::vector<v1::Rollup>& rollups, const std::string& hub_id);

// The same rows as objects: figures as numbers and absent when not published, "withheld"
// (and "withheld_reason" when withheld) and "suppressed" (an array) always present.
std::string RollupsJson(const std::vector<v1::Rollup>& rollups, const std::string& hub_id);

}  // namespace ldgs::daemon::web
