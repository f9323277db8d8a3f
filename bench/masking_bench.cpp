// masking_bench: what masking a Query reply costs. A realistic 100-item
// reply (~40 KB; each item has ~10 attributes: a card number, an email, an
// SSN, a nested map, a list, numbers), masked with three specs (partial on
// the card number, email, hash on the SSN); and the same reply with a plan
// that matches nothing (the price of looking). Prints the median of five
// runs in us per reply; the target is <= 50 us. See bench/README.md.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "masking/mask_plan.hpp"
#include "masking/response_masker.hpp"

namespace {

using namespace dynaudit::masking;
using Clock = std::chrono::steady_clock;

std::string digits(unsigned long long seed, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    out += static_cast<char>('0' + (seed >> 33) % 10);
  }
  return out;
}

std::string query_reply(int items) {
  std::string body = "{\"Count\":" + std::to_string(items) + ",\"Items\":[";
  for (int i = 0; i < items; ++i) {
    if (i) body += ',';
    const std::string n = std::to_string(i);
    body += "{\"pk\":{\"S\":\"customer#" + digits(i, 8) + "\"},\"sk\":{\"S\":\"profile#" + n + "\"}";
    body += ",\"card_number\":{\"S\":\"4" + digits(i + 1000, 15) + "\"}";
    body += ",\"email\":{\"S\":\"customer." + n + ".name@example-mail.com\"}";
    body += ",\"ssn\":{\"S\":\"" + digits(i + 7, 3) + "-" + digits(i + 8, 2) + "-" + digits(i + 9, 4) + "\"}";
    body += ",\"full_name\":{\"S\":\"Ann Smith " + n + "\"}";
    body += ",\"balance\":{\"N\":\"" + digits(i + 3, 5) + "." + digits(i + 4, 2) + "\"}";
    body += ",\"created_at\":{\"N\":\"17" + digits(i + 5, 8) + "\"}";
    body += ",\"address\":{\"M\":{\"street\":{\"S\":\"" + n +
            " Main St\"},\"city\":{\"S\":\"Springfield\"},\"zip\":{\"S\":\"" + digits(i + 6, 5) +
            "\"}}}";
    body += ",\"orders\":{\"L\":[{\"M\":{\"id\":{\"S\":\"ord-" + digits(i + 11, 10) +
            "\"},\"total\":{\"N\":\"129.95\"}}}]}";
    body += ",\"tags\":{\"SS\":[\"gold\",\"r" + n + "\"]}";
    body += ",\"active\":{\"BOOL\":true}}";
  }
  body += "],\"ScannedCount\":" + std::to_string(items) +
          ",\"ConsumedCapacity\":{\"TableName\":\"customers\",\"CapacityUnits\":1.0}}";
  return body;
}

MaskPlan make_plan(const std::vector<MaskSpec>& specs) {
  std::string error;
  auto plan = MaskPlan::compile(specs, error);
  if (!plan) {
    std::fprintf(stderr, "plan: %s\n", error.c_str());
    std::exit(1);
  }
  return std::move(*plan);
}

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

struct Timing {
  double wall_us;  // median of 5 runs, wall clock per reply
  double cpu_us;   // the same runs in this thread's CPU time (robust to a busy machine)
};

Timing us_per_reply(const std::string& body, const MaskPlan& plan, const MaskKeys& keys, int iterations,
                    bool expect_change) {
  std::vector<double> wall, cpu;
  for (int run = 0; run < 5; ++run) {
    const auto start = Clock::now();
    const double cpu_start = thread_cpu_us();
    std::size_t sink = 0;
    for (int i = 0; i < iterations; ++i) {
      const auto out = mask_response("Query", body, plan, keys);
      if (!out.error.empty() || out.changed != expect_change) {
        std::fprintf(stderr, "unexpected outcome: %s\n", out.error.c_str());
        std::exit(1);
      }
      sink += out.body.size();
    }
    cpu.push_back((thread_cpu_us() - cpu_start) / iterations);
    wall.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() / iterations);
    if (sink == 1) std::puts("");
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {wall[2], cpu[2]};
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 2000;
  const std::string body = query_reply(100);
  MaskKeys keys;
  keys.hmac_key = "bench-hmac-key";
  keys.token_key = std::string(32, 'k');

  MaskSpec card{"card_number", Method::partial, 0, 4, "", "", 0, "pci"};
  MaskSpec email{"email", Method::email, 0, 0, "", "", 0, "pii"};
  MaskSpec ssn{"ssn", Method::hash, 0, 0, "", "", 0, "pii"};
  const auto plan = make_plan({card, email, ssn});
  const auto nothing = make_plan({MaskSpec{"not_there", Method::redact, 0, 0, "", "", 0, "x"},
                                  MaskSpec{"nor_this.x", Method::redact, 0, 0, "", "", 0, "x"},
                                  MaskSpec{"absent", Method::hash, 0, 0, "", "", 0, "x"}});

  const auto sample = mask_response("Query", body, plan, keys);
  std::printf("reply: %zu bytes, 100 items; masked: %zu values, %zu bytes out\n", body.size(),
              sample.values_masked, sample.body.size());
  // A second argument runs one case only (for profiling): masked | untouched.
  const std::string only = argc > 2 ? argv[2] : "";
  if (only != "untouched") {
    const auto t = us_per_reply(body, plan, keys, iterations, true);
    std::printf("mask 3 specs (partial, email, hash): %8.2f us per reply (%.2f us CPU)\n", t.wall_us, t.cpu_us);
  }
  if (only != "masked") {
    const auto t = us_per_reply(body, nothing, keys, iterations, false);
    std::printf("plan matching nothing (untouched):   %8.2f us per reply (%.2f us CPU)\n", t.wall_us, t.cpu_us);
  }
  return 0;
}
