#include "models/quantized_factors.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace portrait {
namespace {

constexpr int kQueryMax = 63;  // |p| <= 63 keeps AVX2 pair sums below 2^15.
constexpr int kRowMax = 127;

// sum over the block's groups of u8 * p, for kBlockRows rows, plain C++.
void BlockDotsPlain(const uint8_t* block, int groups, const int8_t* p,
                    int32_t* out) {
  for (int t = 0; t < 8; ++t) {
    int32_t acc = 0;
    for (int g = 0; g < groups; ++g) {
      const uint8_t* x = block + 32 * g + 4 * t;
      for (int l = 0; l < 4; ++l) acc += int32_t{x[l]} * p[4 * g + l];
    }
    out[t] = acc;
  }
}

// The same sums with AVX2: one 32-byte load is 8 rows x 4 factors;
// maddubs multiplies u8 by s8 and adds pairs (at most 2 * 255 * 63 < 2^15,
// so it never saturates), madd with ones adds the two pairs of each row.
// Two blocks at a time, the query's broadcasts computed once.
__attribute__((target("avx2"))) void BlockDotsAvx2(const uint8_t* blocks,
                                                   int64_t count, int groups,
                                                   const int8_t* p,
                                                   int32_t* out) {
  __m256i query[128];  // groups <= 128 (512 factors)
  for (int g = 0; g < groups; ++g) {
    int32_t four;
    std::memcpy(&four, p + 4 * g, 4);
    query[g] = _mm256_set1_epi32(four);
  }
  const __m256i ones = _mm256_set1_epi16(1);
// acc += the 8 rows' sums over group g of `block` (a macro: a lambda would
// not inherit the function's AVX2 target).
#define PORTRAIT_DOT_STEP(block, g, acc)                                      \
  acc = _mm256_add_epi32(                                                     \
      acc, _mm256_madd_epi16(                                                 \
               _mm256_maddubs_epi16(                                          \
                   _mm256_loadu_si256(                                        \
                       reinterpret_cast<const __m256i*>((block) + 32 * (g))), \
                   query[g]),                                                 \
               ones))
  const int64_t block_bytes = int64_t{32} * groups;
  int64_t b = 0;
  for (; b + 1 < count; b += 2) {
    const uint8_t* first = blocks + b * block_bytes;
    const uint8_t* second = first + block_bytes;
    __m256i acc0 = _mm256_setzero_si256();
    __m256i acc1 = _mm256_setzero_si256();
    for (int g = 0; g < groups; ++g) {
      PORTRAIT_DOT_STEP(first, g, acc0);
      PORTRAIT_DOT_STEP(second, g, acc1);
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * b), acc0);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * b + 8), acc1);
  }
  if (b < count) {
    const uint8_t* block = blocks + b * block_bytes;
    __m256i acc = _mm256_setzero_si256();
    for (int g = 0; g < groups; ++g) PORTRAIT_DOT_STEP(block, g, acc);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * b), acc);
  }
}
#undef PORTRAIT_DOT_STEP

bool CpuHasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

}  // namespace

QuantizedFactors::QuantizedFactors(const Matrix& factors)
    : rows_(factors.rows()),
      factors_(static_cast<int>(factors.cols())),
      groups_((static_cast<int>(factors.cols()) + 3) / 4),
      scale_(factors.rows()),
      scaled_l1_(factors.rows()) {
  const int64_t blocks = (rows_ + kBlockRows - 1) / kBlockRows;
  blocks_.assign(blocks * kBlockRows * 4 * groups_, 128);  // q = 0
  for (int64_t r = 0; r < rows_; ++r) {
    const float max = factors.row(r).cwiseAbs().maxCoeff();
    const float scale = max > 0 ? max / kRowMax : 0;
    scale_[r] = scale;
    uint8_t* block =
        blocks_.data() + (r / kBlockRows) * kBlockRows * 4 * groups_;
    const int t = static_cast<int>(r % kBlockRows);
    int32_t l1 = 0;
    for (int j = 0; j < factors_; ++j) {
      const int q =
          scale > 0 ? static_cast<int>(std::lround(factors(r, j) / scale)) : 0;
      l1 += std::abs(q);
      block[32 * (j / 4) + 4 * t + j % 4] = static_cast<uint8_t>(q + 128);
    }
    scaled_l1_[r] = scale * static_cast<float>(l1);
  }
}

void QuantizedFactors::IntegerDots(const int8_t* p, int64_t begin, int64_t end,
                                   bool simd, int32_t* out) const {
  if (begin >= end) return;
  // The query padded to whole groups.
  int8_t padded[4 * 128 + 4];
  std::vector<int8_t> heap;
  int8_t* query = padded;
  if (4 * groups_ > static_cast<int>(sizeof(padded))) {
    heap.resize(4 * groups_);
    query = heap.data();
  }
  std::fill(query, query + 4 * groups_, 0);
  std::copy(p, p + factors_, query);
  int32_t offset = 0;  // sum_j 128 p_j, the unsigned storage's excess
  for (int j = 0; j < factors_; ++j) offset += 128 * p[j];

  const int64_t first = begin / kBlockRows;
  const int64_t last = (end + kBlockRows - 1) / kBlockRows;
  thread_local std::vector<int32_t> sums;
  sums.resize((last - first) * kBlockRows);
  const int64_t block_bytes = int64_t{kBlockRows} * 4 * groups_;
  if (simd && CpuHasAvx2()) {
    BlockDotsAvx2(blocks_.data() + first * block_bytes, last - first, groups_,
                  query, sums.data());
  } else {
    for (int64_t b = first; b < last; ++b) {
      BlockDotsPlain(blocks_.data() + b * block_bytes, groups_, query,
                     sums.data() + (b - first) * kBlockRows);
    }
  }
  const int32_t* from = sums.data() + (begin - first * kBlockRows);
  for (int64_t r = 0; r < end - begin; ++r) out[r] = from[r] - offset;
}

void QuantizedFactors::Bounds(const Eigen::Ref<const Eigen::VectorXf>& user,
                              int64_t begin, int64_t end, float* lower,
                              float* upper) const {
  if (begin >= end) return;
  const float max = user.cwiseAbs().maxCoeff();
  const double b = max > 0 ? static_cast<double>(max) / kQueryMax : 0;
  thread_local std::vector<int8_t> p;
  p.resize(factors_);
  int32_t p_l1 = 0, p_max = 0;
  for (int j = 0; j < factors_; ++j) {
    const int v = b > 0 ? static_cast<int>(std::lround(user(j) / b)) : 0;
    p[j] = static_cast<int8_t>(v);
    p_l1 += std::abs(v);
    p_max = std::max(p_max, std::abs(v));
  }
  thread_local std::vector<int32_t> dots;
  dots.resize(end - begin);
  IntegerDots(p.data(), begin, end, /*simd=*/true, dots.data());
  // f.u = a b (q.p + e), |e| <= d (|q|_1 + |p|_1) + d^2 k, where d bounds
  // |f / a - q| and |u / b - p|: 1/2 plus the float rounding of the
  // division (below 127 * 2^-24). The float sum computing f.u exactly is
  // off by at most k 2^-24 sum |f u| <= k 2^-24 a b (|q|_1 + d k)(max |p| +
  // d) (doubled below). So the error is a b |q|_1 c1 + a b c2 with:
  constexpr double d = 0.5 + 2e-5;
  const double rounding = 2.0 * factors_ * std::ldexp(1.0, -24);
  const float c1 = static_cast<float>(b * (d + rounding * (p_max + d)));
  const float c2 =
      static_cast<float>(b * (d * p_l1 + d * d * factors_ +
                              rounding * d * factors_ * (p_max + d)));
  const float fb = static_cast<float>(b);
  // These few float operations round too (relative 2^-24 each); the margin
  // covers them many times over.
  constexpr float kMargin = 1e-4f;
  const float* scale = scale_.data() + begin;
  const float* scaled_l1 = scaled_l1_.data() + begin;
  for (int64_t i = 0; i < end - begin; ++i) {
    const float estimate = scale[i] * fb * static_cast<float>(dots[i]);
    const float error = (scaled_l1[i] * c1 + scale[i] * c2) * (1 + kMargin) +
                        kMargin * std::abs(estimate);
    lower[i] = estimate - error;
    upper[i] = estimate + error;
  }
}

}  // namespace portrait
