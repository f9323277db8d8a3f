// DistinctCounter (HyperLogLog) and RobustBaseline.
#include <catch2/catch.hpp>

#include <cstdint>

#include "analytics/baseline.hpp"
#include "analytics/distinct_counter.hpp"

using namespace dynaudit::analytics;

TEST_CASE("DistinctCounter: within a few percent, duplicates do not count") {
  for (std::uint64_t n : {10ull, 1'000ull, 100'000ull}) {
    DistinctCounter c;
    for (std::uint64_t i = 0; i < n; ++i) {
      c.add(i * 2654435761ull);
      c.add(i * 2654435761ull);  // twice
    }
    const double error = std::abs(c.estimate() - static_cast<double>(n)) / static_cast<double>(n);
    INFO("n = " << n << ", estimate " << c.estimate());
    CHECK(error < 0.06);
  }
  DistinctCounter empty;
  CHECK(empty.estimate() == 0);
  CHECK(empty.empty());
  empty.add(1);
  CHECK_FALSE(empty.empty());
  empty.clear();
  CHECK(empty.estimate() == 0);
}

TEST_CASE("RobustBaseline: learns a level and its spread") {
  BaselineParams p;
  RobustBaseline b;
  for (int i = 0; i < 200; ++i) b.update(i % 2 ? 12 : 8, p, 8);
  CHECK(b.learned(p));
  CHECK(b.mean == Approx(10).margin(0.5));
  CHECK(b.deviation == Approx(2).margin(0.3));
  CHECK(b.peak >= 11.9f);
  CHECK(b.score(10, p) == Approx(0).margin(0.3));
  CHECK(b.threshold(8, p) > 20);
}

TEST_CASE("RobustBaseline: once learned, an outlier is clipped before it teaches") {
  BaselineParams p;
  RobustBaseline b;
  for (int i = 0; i < 100; ++i) b.update(10, p, 8);
  const double limit = b.threshold(8, p);
  b.update(1e9, p, 8);
  CHECK(b.peak <= limit + 1e-3);
  CHECK(b.mean < 20);
}

TEST_CASE("RobustBaseline: the peak is forgotten slowly") {
  BaselineParams p;
  p.peak_decay = 0.5;
  RobustBaseline b;
  b.update(100, p, 8);
  b.update(0, p, 8);
  CHECK(b.peak == Approx(50));
}
