// Affinity: the aggregate of one user's events on one feature (an item, a
// search term, a geo cell). Integer sums, a minimum and a maximum: the same
// events give the same Affinity in any order, which is what lets a server
// rebuilt from stored events, or one that never saw a stripped signal, hold
// exactly the same portrait.
#ifndef PORTRAIT_MODELS_AFFINITY_H_
#define PORTRAIT_MODELS_AFFINITY_H_

#include <cmath>
#include <cstdint>
#include <limits>

namespace portrait {

// An event weight in thousandths, rounded; 0 (unset) counts as 1.
inline int64_t WeightMilli(double weight) {
  if (weight == 0) return 1000;
  return static_cast<int64_t>(std::llround(weight * 1000));
}

struct Affinity {
  int64_t events = 0;
  int64_t weight_milli = 0;
  int64_t first_ms = std::numeric_limits<int64_t>::max();
  int64_t last_ms = std::numeric_limits<int64_t>::min();

  void Add(int64_t event_weight_milli, int64_t at_ms) {
    ++events;
    weight_milli += event_weight_milli;
    if (at_ms < first_ms) first_ms = at_ms;
    if (at_ms > last_ms) last_ms = at_ms;
  }

  void Merge(const Affinity& other) {
    events += other.events;
    weight_milli += other.weight_milli;
    if (other.first_ms < first_ms) first_ms = other.first_ms;
    if (other.last_ms > last_ms) last_ms = other.last_ms;
  }

  // Weight halved for every `half_life_ms` since the newest event; an event
  // "in the future" (clock skew) counts as now. 0 for an empty affinity.
  double Decayed(int64_t now_ms, int64_t half_life_ms) const {
    if (events == 0) return 0;
    const double age =
        now_ms > last_ms ? static_cast<double>(now_ms - last_ms) : 0;
    return (weight_milli / 1000.0) *
           std::exp2(-age / static_cast<double>(half_life_ms));
  }
};

}  // namespace portrait

#endif  // PORTRAIT_MODELS_AFFINITY_H_
