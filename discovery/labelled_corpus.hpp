// A generated, labelled corpus of attribute values for measuring the
// detectors: positives of every class in the formats people store them in,
// and realistic near-misses — order numbers that fail Luhn, Luhn-valid
// numbers no card issuer uses, SSNs from never-issued ranges, IBANs with the
// wrong check digits, creation dates, version strings, UUIDs and digests.
// Used by the unit test (which must pass its floors) and bench/discovery_eval
// (which prints the table in docs/discovery.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "discovery/detectors.hpp"

namespace dynaudit::discovery {

struct LabelledValue {
  std::string attribute;
  std::string value;
  std::optional<DataClass> truth;  // nullopt: not sensitive (a near-miss)
  std::string kind;                // which generator made it, for the report
};

std::vector<LabelledValue> labelled_corpus(std::uint64_t seed, std::size_t per_kind);

struct ClassScore {
  std::size_t true_positives = 0, false_positives = 0, false_negatives = 0;
  double precision() const {
    return true_positives + false_positives ? static_cast<double>(true_positives) / static_cast<double>(true_positives + false_positives) : 1;
  }
  double recall() const {
    return true_positives + false_negatives ? static_cast<double>(true_positives) / static_cast<double>(true_positives + false_negatives) : 1;
  }
};

struct CorpusScore {
  std::vector<ClassScore> by_class = std::vector<ClassScore>(kDataClasses);
  std::size_t near_misses = 0, near_misses_flagged = 0;
  // Near-miss kinds that were flagged, with how often.
  std::vector<std::pair<std::string, std::size_t>> flagged_kinds;
};

CorpusScore score_corpus(const std::vector<LabelledValue>& corpus);

}  // namespace dynaudit::discovery
