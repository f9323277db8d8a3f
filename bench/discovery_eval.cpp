// discovery_eval: precision and recall of the sensitive-data detectors on the
// generated labelled corpus (discovery/labelled_corpus.hpp), for
// docs/discovery.md.
//
//   discovery_eval [--per-kind N] [--seed S]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "discovery/labelled_corpus.hpp"

using namespace dynaudit::discovery;

int main(int argc, char** argv) {
  std::size_t per_kind = 2000;
  std::uint64_t seed = 15;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--per-kind") per_kind = static_cast<std::size_t>(std::atol(argv[i + 1]));
    else if (a == "--seed") seed = static_cast<std::uint64_t>(std::atoll(argv[i + 1]));
  }
  const auto corpus = labelled_corpus(seed, per_kind);
  const auto score = score_corpus(corpus);
  std::printf("%zu values (%zu near-misses), seed %llu\n\n", corpus.size(), score.near_misses,
              static_cast<unsigned long long>(seed));
  std::printf("| class | positives | true pos. | false pos. | false neg. | precision | recall |\n|---|---:|---:|---:|---:|---:|---:|\n");
  for (std::size_t i = 0; i < kDataClasses; ++i) {
    const auto& c = score.by_class[i];
    std::printf("| `%s` | %zu | %zu | %zu | %zu | %.4f | %.4f |\n", std::string(to_string(static_cast<DataClass>(i))).c_str(),
                c.true_positives + c.false_negatives, c.true_positives, c.false_positives, c.false_negatives,
                c.precision(), c.recall());
  }
  std::printf("\nnear-misses flagged: %zu of %zu (%.2f %%)\n", score.near_misses_flagged, score.near_misses,
              100.0 * static_cast<double>(score.near_misses_flagged) / static_cast<double>(score.near_misses));
  for (const auto& [kind, n] : score.flagged_kinds) std::printf("  %s: %zu\n", kind.c_str(), n);
  return 0;
}
