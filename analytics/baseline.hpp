// RobustBaseline: what one feature of one principal usually measures in one
// time bucket, as an exponentially weighted mean and mean absolute
// deviation, and the highest value seen lately (a slowly decaying peak,
// because bursty callers are not normal-distributed). Robust to the outliers it is meant to find: once learned, an
// observation is clipped to the alert threshold before it updates the
// baseline, so an attack does not teach the model that it is normal.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace dynaudit::analytics {

struct BaselineParams {
  double alpha = 0.02;       // weight of a new sample once n >= 1/alpha
  std::uint32_t min_samples = 30;  // below this the bucket is still learning
  double relative_floor = 0.1;     // scale is at least this share of the mean ...
  double absolute_floor = 1.0;     // ... and at least this
  bool poisson_floor = true;       // counts: the scale is at least sqrt(mean)
  // The peak forgets at this rate per sample (0.996: halves in about 170
  // samples, three weeks of one hour-of-week bucket of minutes).
  double peak_decay = 0.996;
};

struct RobustBaseline {
  float mean = 0;
  float deviation = 0;  // EWMA of |x - mean|
  float peak = 0;       // the highest sample, slowly forgotten
  std::uint32_t samples = 0;

  bool learned(const BaselineParams& p) const { return samples >= p.min_samples; }

  // The noise against which a deviation is measured. A mean absolute
  // deviation is 0.8 standard deviations for normal data, hence 1.25.
  double scale(const BaselineParams& p) const {
    double s = 1.25 * deviation;
    s = std::max(s, p.relative_floor * mean);
    if (p.poisson_floor) s = std::max(s, std::sqrt(static_cast<double>(mean)));
    return std::max(s, p.absolute_floor);
  }
  double score(double observed, const BaselineParams& p) const { return (observed - mean) / scale(p); }
  double threshold(double z, const BaselineParams& p) const { return mean + z * scale(p); }

  void update(double x, const BaselineParams& p, double clip_z) {
    if (learned(p)) x = std::min(x, threshold(clip_z, p));
    peak = static_cast<float>(std::max(x, p.peak_decay * peak));
    samples = samples == UINT32_MAX ? samples : samples + 1;
    const double a = std::max(p.alpha, 1.0 / samples);
    const double before = mean;
    mean = static_cast<float>((1 - a) * before + a * x);
    deviation = static_cast<float>((1 - a) * deviation + a * std::fabs(x - before));
  }
};

}  // namespace dynaudit::analytics
