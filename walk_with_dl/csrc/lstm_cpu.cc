// Fused LSTM layer for XLA:CPU, called through jax.ffi (walk_with_dl.nn.recurrent).
//
// Forward over a whole sequence and backward over a whole sequence, one layer, one direction,
// float32, no padding mask. The input projection x W_ih^T + b and the weight gradients are big
// matrix products left to XLA; this kernel does only the part that must walk through time: per
// step one matrix product with W_hh (a BLAS sgemm whose pointer Python hands over once, taken from
// SciPy's OpenBLAS, so the library links against no BLAS) and the gate arithmetic.
// Sequences in a batch are independent, so with n threads each thread runs the whole sequence for
// its slice of the batch: no synchronisation inside the time loop.
//
// Layouts (row-major, time-major): gates (T, B, 4H) in PyTorch's order i, f, g, o; w_hh (4H, H).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <thread>
#include <vector>

#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

using sgemm_t = void (*)(const char*, const char*, const int*, const int*, const int*, const float*, const float*,
                         const int*, const float*, const int*, const float*, float*, const int*);
using set_threads_local_t = int (*)(int);
static sgemm_t g_sgemm = nullptr;
static set_threads_local_t g_set_threads_local = nullptr;

extern "C" {
// Called once from Python (ctypes): the Fortran-ABI sgemm, and optionally OpenBLAS's
// openblas_set_num_threads_local (to keep each worker's BLAS calls on its own thread).
void wwdl_set_blas(void* sgemm, void* set_threads_local) {
  g_sgemm = reinterpret_cast<sgemm_t>(sgemm);
  g_set_threads_local = reinterpret_cast<set_threads_local_t>(set_threads_local);
}
int wwdl_abi_version() { return 1; }
}

// Arguments clamped: exp never overflows (the library is compiled with -ffast-math, which assumes no inf);
// sigmoid(±30) and tanh(±15) are ±1 (or 0) to float precision.
static inline float clamp30(float x) { return std::fmin(std::fmax(x, -30.0f), 30.0f); }
static inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-clamp30(x))); }
static inline float tanh_(float x) { return 2.0f / (1.0f + std::exp(-clamp30(2.0f * x))) - 1.0f; }

// C (rows x 4H, row-major) += A (rows x H) W^T, W (4H x H) row-major.
static inline void gemm_nt(int rows, int hidden, const float* a, const float* w, float* c) {
  const int m = 4 * hidden, n = rows, k = hidden, ldc = 4 * hidden;
  const float one = 1.0f;
  g_sgemm("T", "N", &m, &n, &k, &one, w, &k, a, &k, &one, c, &ldc);
}
// C (rows x H) = D (rows x 4H) W, W (4H x H) row-major.
static inline void gemm_nn(int rows, int hidden, const float* d, const float* w, float* c) {
  const int m = hidden, n = rows, k = 4 * hidden, ldw = hidden, ldd = 4 * hidden, ldc = hidden;
  const float one = 1.0f, zero = 0.0f;
  g_sgemm("N", "N", &m, &n, &k, &one, w, &ldw, d, &ldd, &zero, c, &ldc);
}

// ---- The per-step products with a packed weight: C (rows x N) (+)= A (rows x K) P, where P is the
// weight packed once per call into panels of 16 columns, [N / 16][K][16], so each panel streams
// contiguously through the registers of a 6 x 16 micro-kernel (12 accumulators: AVX2's 16
// registers; GCC vector types, so the code compiles for any x86-64 / AArch64 target).
typedef float v8 __attribute__((vector_size(32)));
constexpr int kNR = 16, kMR = 6;

static inline v8 load8(const float* p) { v8 v; std::memcpy(&v, p, sizeof(v)); return v; }
static inline void store8(float* p, v8 v) { std::memcpy(p, &v, sizeof(v)); }

template <int MR>
static inline void micro(int K, const float* a, int lda, const float* panel, float* c, int ldc, bool accumulate) {
  v8 acc[MR][2];
  for (int r = 0; r < MR; ++r) {
    if (accumulate) { acc[r][0] = load8(c + r * ldc); acc[r][1] = load8(c + r * ldc + 8); }
    else { acc[r][0] = v8{}; acc[r][1] = v8{}; }
  }
  for (int k = 0; k < K; ++k) {
    const v8 w0 = load8(panel + k * kNR), w1 = load8(panel + k * kNR + 8);
    for (int r = 0; r < MR; ++r) {
      const float x = a[r * lda + k];
      acc[r][0] += x * w0;
      acc[r][1] += x * w1;
    }
  }
  for (int r = 0; r < MR; ++r) { store8(c + r * ldc, acc[r][0]); store8(c + r * ldc + 8, acc[r][1]); }
}

static void packed_gemm(int rows, int N, int K, const float* a, int lda, const float* packed, float* c, int ldc,
                        bool accumulate) {
  for (int n0 = 0; n0 < N; n0 += kNR) {
    const float* panel = packed + static_cast<size_t>(n0) * K;
    int r = 0;
    for (; r + kMR <= rows; r += kMR) micro<kMR>(K, a + static_cast<size_t>(r) * lda, lda, panel, c + static_cast<size_t>(r) * ldc + n0, ldc, accumulate);
    const float* ar = a + static_cast<size_t>(r) * lda;
    float* cr = c + static_cast<size_t>(r) * ldc + n0;
    switch (rows - r) {
      case 5: micro<5>(K, ar, lda, panel, cr, ldc, accumulate); break;
      case 4: micro<4>(K, ar, lda, panel, cr, ldc, accumulate); break;
      case 3: micro<3>(K, ar, lda, panel, cr, ldc, accumulate); break;
      case 2: micro<2>(K, ar, lda, panel, cr, ldc, accumulate); break;
      case 1: micro<1>(K, ar, lda, panel, cr, ldc, accumulate); break;
      default: break;
    }
  }
}

// Pack B (K x N) given as element (k, n) = b[k * sk + n * sn] into [N / 16][K][16].
static std::vector<float> pack(int K, int N, const float* b, size_t sk, size_t sn) {
  std::vector<float> out(static_cast<size_t>(K) * N);
  for (int n0 = 0; n0 < N; n0 += kNR)
    for (int k = 0; k < K; ++k)
      for (int j = 0; j < kNR; ++j) out[(static_cast<size_t>(n0) * K) + k * kNR + j] = b[k * sk + (n0 + j) * sn];
  return out;
}

static bool use_packed() { static const bool off = std::getenv("WWDL_LSTM_BLAS_STEPS") != nullptr; return !off; }

template <typename F>
static void parallel_rows(int batch, int64_t threads, F&& body) {
  int n = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, batch)));
  if (n == 1) { body(0, batch); return; }
  std::vector<std::thread> workers;
  int start = 0;
  for (int i = 0; i < n; ++i) {
    int stop = start + (batch - start) / (n - i);
    if (i == n - 1) body(start, stop);
    else workers.emplace_back([&body, start, stop] {
      if (g_set_threads_local) g_set_threads_local(1);
      body(start, stop);
    });
    start = stop;
  }
  for (auto& w : workers) w.join();
}

// Forward: gates = x W_ih^T + bias for all steps at once (one big sgemm), then the loop over time.
static ffi::Error LstmForward(ffi::Buffer<ffi::F32> inputs, ffi::Buffer<ffi::F32> w_ih, ffi::Buffer<ffi::F32> bias,
                              ffi::Buffer<ffi::F32> w_hh, ffi::Buffer<ffi::F32> h0,
                              ffi::Buffer<ffi::F32> c0, ffi::ResultBuffer<ffi::F32> h_all,
                              ffi::ResultBuffer<ffi::F32> c_all, ffi::ResultBuffer<ffi::F32> gates, int64_t threads) {
  if (!g_sgemm) return ffi::Error::Internal("walk_with_dl LSTM kernel: no BLAS registered (wwdl_set_blas)");
  auto dims = inputs.dimensions();
  if (dims.size() != 3) return ffi::Error::InvalidArgument("inputs must be (time, batch, features)");
  const int T = dims[0], B = dims[1], F = dims[2], G = w_hh.dimensions()[0], H = G / 4;
  const float* w = w_hh.typed_data();
  float* hs = h_all->typed_data();
  float* cs = c_all->typed_data();
  float* gs = gates->typed_data();
  const float* h_init = h0.typed_data();
  const float* c_init = c0.typed_data();
  {
    const float* b = bias.typed_data();
    for (size_t r = 0; r < static_cast<size_t>(T) * B; ++r) std::memcpy(gs + r * G, b, sizeof(float) * G);
    const int m = G, n = T * B, k = F;
    const float one = 1.0f;
    g_sgemm("T", "N", &m, &n, &k, &one, w_ih.typed_data(), &k, inputs.typed_data(), &k, &one, gs, &m);
  }
  const bool packed = use_packed() && G % kNR == 0;
  std::vector<float> w_packed;
  if (packed) w_packed = pack(H, G, w, 1, H);
  parallel_rows(B, threads, [&](int b0, int b1) {
    const int rows = b1 - b0;
    for (int t = 0; t < T; ++t) {
      float* g = gs + (static_cast<size_t>(t) * B + b0) * G;
      const float* h_prev = t == 0 ? h_init + static_cast<size_t>(b0) * H : hs + (static_cast<size_t>(t - 1) * B + b0) * H;
      const float* c_prev = t == 0 ? c_init + static_cast<size_t>(b0) * H : cs + (static_cast<size_t>(t - 1) * B + b0) * H;
      if (packed) packed_gemm(rows, G, H, h_prev, H, w_packed.data(), g, G, true);
      else gemm_nt(rows, H, h_prev, w, g);
      float* h = hs + (static_cast<size_t>(t) * B + b0) * H;
      float* c = cs + (static_cast<size_t>(t) * B + b0) * H;
      for (int r = 0; r < rows; ++r) {
        float* gi = g + static_cast<size_t>(r) * G;
        float* gf = gi + H;
        float* gg = gi + 2 * H;
        float* go = gi + 3 * H;
        const float* cp = c_prev + static_cast<size_t>(r) * H;
        float* cr = c + static_cast<size_t>(r) * H;
        float* hr = h + static_cast<size_t>(r) * H;
#pragma omp simd
        for (int j = 0; j < H; ++j) {
          const float i = sigmoid(gi[j]), f = sigmoid(gf[j]), gc = tanh_(gg[j]), o = sigmoid(go[j]);
          gi[j] = i; gf[j] = f; gg[j] = gc; go[j] = o;
          const float cn = f * cp[j] + i * gc;
          cr[j] = cn;
          hr[j] = o * tanh_(cn);
        }
      }
    }
  });
  return ffi::Error::Success();
}

// C (m x n, column-major, ld m) = A (m x k, ld m) B^T (B: n x k, ld n) [+ C if accumulate].
static inline void gemm_cm_nt(int m, int n, int k, const float* a, const float* b, float* c, bool accumulate) {
  const float one = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  g_sgemm("N", "T", &m, &n, &k, &one, a, &m, b, &n, &beta, c, &m);
}

// Backward through time, then the weight gradients as two big products:
// d_w_ih = sum_t dG_t^T x_t and d_w_hh = sum_t dG_t^T h_{t-1}.
static ffi::Error LstmBackward(ffi::Buffer<ffi::F32> gates, ffi::Buffer<ffi::F32> c_all, ffi::Buffer<ffi::F32> c0,
                               ffi::Buffer<ffi::F32> w_hh, ffi::Buffer<ffi::F32> d_out, ffi::Buffer<ffi::F32> d_hT,
                               ffi::Buffer<ffi::F32> d_cT, ffi::Buffer<ffi::F32> inputs, ffi::Buffer<ffi::F32> h0,
                               ffi::Buffer<ffi::F32> h_all, ffi::ResultBuffer<ffi::F32> d_gates,
                               ffi::ResultBuffer<ffi::F32> d_h0, ffi::ResultBuffer<ffi::F32> d_c0,
                               ffi::ResultBuffer<ffi::F32> d_w_ih, ffi::ResultBuffer<ffi::F32> d_w_hh, int64_t threads) {
  if (!g_sgemm) return ffi::Error::Internal("walk_with_dl LSTM kernel: no BLAS registered (wwdl_set_blas)");
  auto dims = gates.dimensions();
  if (dims.size() != 3) return ffi::Error::InvalidArgument("gates must be (time, batch, 4 * hidden)");
  const int T = dims[0], B = dims[1], G = dims[2], H = G / 4;
  const float* gs = gates.typed_data();
  const float* cs = c_all.typed_data();
  const float* c_init = c0.typed_data();
  const float* w = w_hh.typed_data();
  const float* dout = d_out.typed_data();
  float* dgs = d_gates->typed_data();   // may be the gates buffer itself (aliased): each element is read before it is written
  float* dh = d_h0->typed_data();   // running gradient of h, ends as d h0
  float* dc = d_c0->typed_data();   // running gradient of c, ends as d c0
  std::memcpy(dh, d_hT.typed_data(), sizeof(float) * B * H);
  std::memcpy(dc, d_cT.typed_data(), sizeof(float) * B * H);
  const bool packed = use_packed() && H % kNR == 0;
  std::vector<float> w_packed;
  if (packed) w_packed = pack(G, H, w, H, 1);
  parallel_rows(B, threads, [&](int b0, int b1) {
    const int rows = b1 - b0;
    float* dh_rows = dh + static_cast<size_t>(b0) * H;
    float* dc_rows = dc + static_cast<size_t>(b0) * H;
    for (int t = T - 1; t >= 0; --t) {
      const size_t row0 = static_cast<size_t>(t) * B + b0;
      const float* c_prev = t == 0 ? c_init + static_cast<size_t>(b0) * H : cs + (row0 - B) * H;
      for (int r = 0; r < rows; ++r) {
        const float* gi = gs + (row0 + r) * G;
        const float* gf = gi + H;
        const float* gg = gi + 2 * H;
        const float* go = gi + 3 * H;
        float* di = dgs + (row0 + r) * G;
        float* df = di + H;
        float* dg = di + 2 * H;
        float* dov = di + 3 * H;
        const float* c = cs + (row0 + r) * H;
        const float* cp = c_prev + static_cast<size_t>(r) * H;
        const float* dor = dout + (row0 + r) * H;
        float* dhr = dh_rows + static_cast<size_t>(r) * H;
        float* dcr = dc_rows + static_cast<size_t>(r) * H;
#pragma omp simd
        for (int j = 0; j < H; ++j) {
          const float i = gi[j], f = gf[j], gc = gg[j], o = go[j];
          const float tc = tanh_(c[j]);
          const float dhj = dhr[j] + dor[j];
          const float dcj = dcr[j] + dhj * o * (1.0f - tc * tc);
          dov[j] = dhj * tc * o * (1.0f - o);
          di[j] = dcj * gc * i * (1.0f - i);
          df[j] = dcj * cp[j] * f * (1.0f - f);
          dg[j] = dcj * i * (1.0f - gc * gc);
          dcr[j] = dcj * f;
        }
      }
      if (packed) packed_gemm(rows, H, G, dgs + row0 * G, G, w_packed.data(), dh_rows, H, false);
      else gemm_nn(rows, H, dgs + row0 * G, w, dh_rows);
    }
  });
  const int F = inputs.dimensions()[2];
  // row-major (4H x F) d_w_ih is column-major (F x 4H) = X^T dG, X^T (F x T*B) column-major
  gemm_cm_nt(F, G, T * B, inputs.typed_data(), dgs, d_w_ih->typed_data(), false);
  gemm_cm_nt(H, G, B, h0.typed_data(), dgs, d_w_hh->typed_data(), false);
  if (T > 1) gemm_cm_nt(H, G, (T - 1) * B, h_all.typed_data(), dgs + static_cast<size_t>(B) * G, d_w_hh->typed_data(), true);
  return ffi::Error::Success();
}

XLA_FFI_DEFINE_HANDLER_SYMBOL(WwdlLstmForward, LstmForward,
                              ffi::Ffi::Bind()
                                  .Arg<ffi::Buffer<ffi::F32>>()   // inputs
                                  .Arg<ffi::Buffer<ffi::F32>>()   // w_ih
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Attr<int64_t>("threads"));

XLA_FFI_DEFINE_HANDLER_SYMBOL(WwdlLstmBackward, LstmBackward,
                              ffi::Ffi::Bind()
                                  .Arg<ffi::Buffer<ffi::F32>>()   // gates
                                  .Arg<ffi::Buffer<ffi::F32>>()   // c_all
                                  .Arg<ffi::Buffer<ffi::F32>>()   // c0
                                  .Arg<ffi::Buffer<ffi::F32>>()   // w_hh
                                  .Arg<ffi::Buffer<ffi::F32>>()   // d_out
                                  .Arg<ffi::Buffer<ffi::F32>>()   // d_hT
                                  .Arg<ffi::Buffer<ffi::F32>>()   // d_cT
                                  .Arg<ffi::Buffer<ffi::F32>>()   // inputs
                                  .Arg<ffi::Buffer<ffi::F32>>()   // h0
                                  .Arg<ffi::Buffer<ffi::F32>>()   // h_all
                                  .Ret<ffi::Buffer<ffi::F32>>()   // d_gates
                                  .Ret<ffi::Buffer<ffi::F32>>()   // d_h0
                                  .Ret<ffi::Buffer<ffi::F32>>()   // d_c0
                                  .Ret<ffi::Buffer<ffi::F32>>()   // d_w_ih
                                  .Ret<ffi::Buffer<ffi::F32>>()   // d_w_hh
                                  .Attr<int64_t>("threads"));

// C (M x N) = A (M x K) B (K x N), all row-major: a matrix product on the same BLAS, for the
// input gradient d_inputs = dG W_ih (a separate call, so that XLA drops it where it is unused).
static ffi::Error Matmul(ffi::Buffer<ffi::F32> a, ffi::Buffer<ffi::F32> b, ffi::ResultBuffer<ffi::F32> c) {
  if (!g_sgemm) return ffi::Error::Internal("walk_with_dl kernels: no BLAS registered (wwdl_set_blas)");
  if (a.dimensions().size() != 2 || b.dimensions().size() != 2 || a.dimensions()[1] != b.dimensions()[0])
    return ffi::Error::InvalidArgument("matmul expects (M, K) and (K, N)");
  const int m = b.dimensions()[1], n = a.dimensions()[0], k = a.dimensions()[1];
  const float one = 1.0f, zero = 0.0f;
  g_sgemm("N", "N", &m, &n, &k, &one, b.typed_data(), &m, a.typed_data(), &k, &zero, c->typed_data(), &m);
  return ffi::Error::Success();
}

XLA_FFI_DEFINE_HANDLER_SYMBOL(WwdlMatmul, Matmul,
                              ffi::Ffi::Bind().Arg<ffi::Buffer<ffi::F32>>().Arg<ffi::Buffer<ffi::F32>>().Ret<ffi::Buffer<ffi::F32>>());
