// BoundedLabels: reserved values first, then first come up to the capacity,
// then "_other"; ids never change; a worker's cache stays bounded.
#include <catch2/catch.hpp>

#include <thread>

#include "metrics/bounded_labels.hpp"

using namespace dynaudit::metrics;

TEST_CASE("values past the capacity share _other, reserved values keep their ids") {
  BoundedLabels labels(3, {"orders"});
  CHECK(labels.id("orders") == 0);
  CHECK(labels.id("a") == 1);
  CHECK(labels.id("b") == 2);
  CHECK(labels.id("c") == labels.other_id());
  CHECK(labels.id("d") == labels.other_id());
  CHECK(labels.id("a") == 1);  // stable
  CHECK(labels.id("_other") == labels.other_id());
  CHECK(labels.names() == std::vector<std::string>{"orders", "a", "b"});
  CHECK(labels.id_count() == 4);
}

TEST_CASE("a capacity smaller than the reserved list grows to hold it") {
  BoundedLabels labels(1, {"x", "y"});
  CHECK(labels.id("y") == 1);
  CHECK(labels.id("z") == labels.other_id());
}

TEST_CASE("worker caches agree with the shared ids under concurrent first sight") {
  BoundedLabels labels(100);
  std::vector<std::uint32_t> seen_a(50), seen_b(50);
  std::thread a([&] {
    LabelCache cache(labels);
    for (int i = 0; i < 50; ++i) seen_a[i] = cache.id("t" + std::to_string(i));
  });
  std::thread b([&] {
    LabelCache cache(labels);
    for (int i = 49; i >= 0; --i) seen_b[i] = cache.id("t" + std::to_string(i));
  });
  a.join();
  b.join();
  CHECK(seen_a == seen_b);
  LabelCache cache(labels);
  for (int i = 0; i < 50; ++i) CHECK(cache.id("t" + std::to_string(i)) == seen_a[i]);
  CHECK(labels.names().size() == 50);
}

TEST_CASE("a flood of distinct values does not grow the label set") {
  BoundedLabels labels(8);
  LabelCache cache(labels);
  for (int i = 0; i < 10'000; ++i) cache.id("random-table-" + std::to_string(i));
  CHECK(labels.names().size() == 8);
  CHECK(cache.id("random-table-9999") == labels.other_id());
  CHECK(cache.id("random-table-3") == 3);
}
