// An 8-bit copy of a factor matrix that bounds every row's dot product with a
// query vector, so that the exact top rows can be found by scoring all rows
// cheaply and then only the few whose bounds overlap the top exactly.
//
// Each row r is stored as q[r][j] = round(f[r][j] / a_r), a_r = max_j |f[r][j]|
// / 127; a query u as p[j] = round(u[j] / b), b = max_j |u[j]| / 63. Then
// f.u = a_r b (q.p + e) with |e| <= (|q_r|_1 + |p|_1) / 2 + k / 4, and the
// float computation of f.u in k steps is within k 2^-23 sum_j |f[r][j] u[j]|
// of the real value: Bounds() returns an interval that contains both. The
// integer products q.p are exact and identical on every CPU (AVX2 when the
// CPU has it, plain C++ otherwise); with |p| <= 63 no 16-bit sum of the AVX2
// path can saturate.
//
// Pure; immutable after construction and safe to read from many threads.
#ifndef PORTRAIT_MODELS_QUANTIZED_FACTORS_H_
#define PORTRAIT_MODELS_QUANTIZED_FACTORS_H_

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

namespace portrait {

class QuantizedFactors {
 public:
  using Matrix =
      Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  explicit QuantizedFactors(const Matrix& factors);

  int64_t rows() const { return rows_; }

  // For rows [begin, end): lower[r - begin] <= factors.row(r).dot(user) (as
  // real numbers and as computed in float) <= upper[r - begin].
  // REQUIRES: 0 <= begin <= end <= rows(), user.size() == factors.cols(),
  // lower and upper hold end - begin values.
  void Bounds(const Eigen::Ref<const Eigen::VectorXf>& user, int64_t begin,
              int64_t end, float* lower, float* upper) const;

  // The integer products q_r . p for rows [begin, end), with the AVX2
  // kernel if `simd` and the CPU has it, else plain C++ (tests compare the
  // two). `p` has factors() entries in [-63, 63].
  void IntegerDots(const int8_t* p, int64_t begin, int64_t end, bool simd,
                   int32_t* out) const;

 private:
  static constexpr int kBlockRows = 8;

  int64_t rows_ = 0;
  int factors_ = 0;
  int groups_ = 0;  // factors rounded up to a multiple of 4, over 4
  // Blocks of kBlockRows rows; in a block, for each group of 4 factors, the
  // 4 bytes of row 0, then row 1, ..., each stored as q + 128 (unsigned).
  std::vector<uint8_t> blocks_;
  std::vector<float> scale_;      // a_r
  std::vector<float> scaled_l1_;  // a_r |q_r|_1
};

}  // namespace portrait

#endif  // PORTRAIT_MODELS_QUANTIZED_FACTORS_H_
