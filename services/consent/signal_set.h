// SignalSet: a set of signals (portrait.v1.Signal), as a small value type.
// Used wherever code records which signals something came from (an engaged
// item, a candidate, an interest) or which blocks wait for a rebuild.
#ifndef PORTRAIT_SERVICES_CONSENT_SIGNAL_SET_H_
#define PORTRAIT_SERVICES_CONSENT_SIGNAL_SET_H_

#include <cstdint>
#include <initializer_list>

#include "portrait/v1/common.pb.h"

namespace portrait {

class SignalSet {
 public:
  static_assert(v1::Signal_MAX < 32, "SignalSet holds signals 0 to 31");

  constexpr SignalSet() = default;
  constexpr SignalSet(std::initializer_list<v1::Signal> signals) {
    for (v1::Signal s : signals) bits_ |= Bit(s);
  }

  void Add(v1::Signal signal) { bits_ |= Bit(signal); }
  void Remove(v1::Signal signal) { bits_ &= ~Bit(signal); }
  bool Contains(v1::Signal signal) const { return (bits_ & Bit(signal)) != 0; }
  bool empty() const { return bits_ == 0; }

  SignalSet& operator|=(SignalSet other) {
    bits_ |= other.bits_;
    return *this;
  }
  friend SignalSet operator|(SignalSet a, SignalSet b) { return a |= b; }
  friend bool operator==(SignalSet a, SignalSet b) {
    return a.bits_ == b.bits_;
  }
  friend bool operator!=(SignalSet a, SignalSet b) { return !(a == b); }

  // The set as a bit per signal number, for layers that do not know
  // signals (models::Candidate).
  uint32_t bits() const { return bits_; }
  static SignalSet FromBits(uint32_t bits) {
    SignalSet set;
    set.bits_ = bits;
    return set;
  }

  // Calls f(signal) for each member, in ascending signal number.
  template <typename F>
  void ForEach(F&& f) const {
    for (int s = 0; s < 32; ++s) {
      if (bits_ & (uint32_t{1} << s)) f(static_cast<v1::Signal>(s));
    }
  }

 private:
  static constexpr uint32_t Bit(v1::Signal signal) {
    return uint32_t{1} << static_cast<int>(signal);
  }

  uint32_t bits_ = 0;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_CONSENT_SIGNAL_SET_H_
