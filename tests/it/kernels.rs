//! ggml's kernels as the vendored whisper.cpp runs them. Matrix products as
//! whisper.cpp places Whisper's weights: every
//! extra CPU buffer type (AMX on CPUs that have it, the repacking one) that
//! accepts a weight of Whisper's sizes must give the same products as the
//! plain CPU kernels. On an AMX CPU it also checks the placement susurro
//! relies on: 8-bit weights on AMX for all of Whisper's layer sizes (what
//! whisper.cpp 1.9 does by itself; 1.8 needed a patch) and Q4_0/Q4_1 kept
//! off it (a change in vendor/whisper-rs-sys: their AMX kernel gave wrong
//! products on the project's Xeons with whisper.cpp 1.8). And susurro's own
//! kernels (`vendor/whisper-rs-sys/SUSURRO.md`): the decoder's products
//! against ggml's reference path, the encoder's 8-bit products against the
//! exact product, GELU against its formula.

use std::ffi::{c_void, CStr};
use whisper_rs_sys as g;

struct Cpu {
    backend: g::ggml_backend_t,
    dev: g::ggml_backend_dev_t,
    extra: Vec<(String, g::ggml_backend_buffer_type_t)>,
}

fn cpu() -> Cpu {
    // SAFETY: plain ggml calls on the CPU backend; the extra buffer type list
    // is null-terminated and static.
    unsafe {
        let backend = g::ggml_backend_cpu_init();
        g::ggml_backend_cpu_set_n_threads(backend, 2);
        let dev = g::ggml_backend_get_device(backend);
        let reg = g::ggml_backend_dev_backend_reg(dev);
        let f =
            g::ggml_backend_reg_get_proc_address(reg, c"ggml_backend_dev_get_extra_bufts".as_ptr());
        let get: g::ggml_backend_dev_get_extra_bufts_t = std::mem::transmute(f);
        let mut extra = Vec::new();
        let mut p = get.expect("the CPU backend lists its extra buffer types")(dev);
        while !p.is_null() && !(*p).is_null() {
            let name = CStr::from_ptr(g::ggml_backend_buft_name(*p));
            extra.push((name.to_string_lossy().into_owned(), *p));
            p = p.add(1);
        }
        Cpu {
            backend,
            dev,
            extra,
        }
    }
}

/// `w` ([n][k], quantized to `ty`) times `x` ([m][k]) with the weight in
/// `buft`, on ggml's reference kernels when `reference` (susurro's decoder
/// kernels step aside for them): `None` when the CPU backend would not run
/// that product with the weight there (so whisper.cpp would not place it
/// there).
#[allow(clippy::too_many_arguments)]
fn product(
    cpu: &Cpu,
    buft: g::ggml_backend_buffer_type_t,
    ty: g::ggml_type,
    k: usize,
    n: usize,
    x: &[f32],
    w: &[f32],
    reference: bool,
) -> Option<Vec<f32>> {
    let m = x.len() / k;
    let params = g::ggml_init_params {
        mem_size: 1 << 20,
        mem_buffer: std::ptr::null_mut(),
        no_alloc: true,
    };
    // SAFETY: tensors live in contexts and buffers freed at the end; sizes
    // come from ggml (row size of the type) and the vectors' own lengths.
    unsafe {
        let wctx = g::ggml_init(params);
        let wt = g::ggml_new_tensor_2d(wctx, ty, k as i64, n as i64);
        let wbuf = g::ggml_backend_alloc_ctx_tensors_from_buft(wctx, buft);
        let ctx = g::ggml_init(params);
        let xt = g::ggml_new_tensor_2d(ctx, g::ggml_type_GGML_TYPE_F32, k as i64, m as i64);
        let y = g::ggml_mul_mat(ctx, wt, xt);
        let mut out = None;
        if g::ggml_backend_dev_supports_op(cpu.dev, y) {
            let mut q = vec![0u8; g::ggml_row_size(ty, k as i64) * n];
            g::ggml_quantize_chunk(
                ty,
                w.as_ptr(),
                q.as_mut_ptr() as *mut c_void,
                0,
                n as i64,
                k as i64,
                std::ptr::null(),
            );
            g::ggml_backend_tensor_set(wt, q.as_ptr() as *const c_void, 0, q.len());
            let gf = g::ggml_new_graph(ctx);
            g::ggml_build_forward_expand(gf, y);
            let ga = g::ggml_gallocr_new(g::ggml_backend_get_default_buffer_type(cpu.backend));
            assert!(g::ggml_gallocr_alloc_graph(ga, gf));
            g::ggml_backend_tensor_set(xt, x.as_ptr() as *const c_void, 0, x.len() * 4);
            g::ggml_backend_cpu_set_use_ref(cpu.backend, reference);
            assert_eq!(
                g::ggml_backend_graph_compute(cpu.backend, gf),
                g::ggml_status_GGML_STATUS_SUCCESS
            );
            g::ggml_backend_cpu_set_use_ref(cpu.backend, false);
            let mut v = vec![0f32; n * m];
            g::ggml_backend_tensor_get(y, v.as_mut_ptr() as *mut c_void, 0, v.len() * 4);
            g::ggml_gallocr_free(ga);
            out = Some(v);
        }
        g::ggml_free(ctx);
        g::ggml_backend_buffer_free(wbuf);
        g::ggml_free(wctx);
        out
    }
}

/// Relative error of `got` against `want` (root of summed squares).
fn relative_error(got: &[f32], want: &[f32]) -> f64 {
    let err: f64 = got
        .iter()
        .zip(want)
        .map(|(a, b)| ((a - b) as f64).powi(2))
        .sum();
    let norm: f64 = want.iter().map(|b| (*b as f64).powi(2)).sum();
    (err / norm).sqrt()
}

/// The least-squares factor from `want` to `got`: 1 unless a scale is off.
fn gain(got: &[f32], want: &[f32]) -> f64 {
    let dot: f64 = got
        .iter()
        .zip(want)
        .map(|(a, b)| *a as f64 * *b as f64)
        .sum();
    let norm: f64 = want.iter().map(|b| (*b as f64).powi(2)).sum();
    dot / norm
}

/// A fixed pseudo-random fill (xorshift) in [-0.5, 0.5).
fn xorshift() -> impl FnMut() -> f32 {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }
}

fn name(ty: g::ggml_type) -> String {
    // SAFETY: ggml returns a static C string for every type.
    unsafe {
        CStr::from_ptr(g::ggml_type_name(ty))
            .to_string_lossy()
            .into_owned()
    }
}

#[test]
fn every_placement_whisper_cpp_may_choose_gives_the_plain_cpu_products() {
    let cpu = cpu();
    let plain = unsafe { g::ggml_backend_cpu_buffer_type() };
    let names: Vec<&str> = cpu.extra.iter().map(|(n, _)| n.as_str()).collect();
    eprintln!("extra CPU buffer types here: {names:?}");
    // Weights small as in Whisper.
    let mut rnd = xorshift();
    let types = [
        g::ggml_type_GGML_TYPE_Q8_0,
        g::ggml_type_GGML_TYPE_Q4_0,
        g::ggml_type_GGML_TYPE_Q4_1,
        g::ggml_type_GGML_TYPE_Q5_0,
        g::ggml_type_GGML_TYPE_F16,
    ];
    let mut on_amx = Vec::new();
    for ty in types {
        // Whisper's inner sizes (tiny, base, small, medium and the MLP's 4x);
        // 1 and 7 rows take the matrix-vector kernels, 32 and 100 the tiles.
        for k in [384usize, 512, 768, 1024, 2048] {
            for m in [1usize, 7, 32, 100] {
                let n = 64;
                let w: Vec<f32> = (0..n * k).map(|_| rnd() * 0.1).collect();
                let x: Vec<f32> = (0..m * k).map(|_| rnd() * 2.0).collect();
                // ggml's own kernels (susurro's encoder kernel rounds
                // coarser, on purpose; it has its own test below)
                let want = product(&cpu, plain, ty, k, n, &x, &w, true)
                    .expect("the plain CPU buffer takes every product");
                for (bname, buft) in &cpu.extra {
                    let Some(got) = product(&cpu, *buft, ty, k, n, &x, &w, false) else {
                        continue;
                    };
                    if bname == "AMX" {
                        on_amx.push((name(ty), k));
                    }
                    let rel = relative_error(&got, &want);
                    assert!(
                        rel < 1e-3,
                        "{} K={k} rows={m} on {bname}: relative error {rel:.2e}",
                        name(ty)
                    );
                }
            }
        }
    }
    if names.contains(&"AMX") {
        // The change this guards: 8-bit weights of every Whisper size on AMX,
        // 4-bit ones nowhere on it.
        for k in [384, 512, 768, 1024, 2048] {
            assert!(
                on_amx.contains(&("q8_0".to_string(), k)),
                "q8_0 K={k} not on AMX: {on_amx:?}"
            );
        }
        assert!(
            !on_amx.iter().any(|(t, _)| t == "q4_0" || t == "q4_1"),
            "{on_amx:?}"
        );
    } else {
        eprintln!(
            "this CPU has no AMX (or Linux refused it): only the other placements were checked"
        );
    }
    unsafe { g::ggml_backend_free(cpu.backend) };
}

/// susurro's decoder kernels (`vendor/whisper-rs-sys/SUSURRO.md`): 8-bit
/// weights times one to eight columns (a decoder step, one column per
/// beam), and f16 rows times one to eight columns (a step's attention,
/// Whisper's 64-wide heads and window lengths that are not a multiple of
/// 64), against ggml's own kernels.
#[test]
fn the_decoder_kernels_give_ggml_s_products() {
    let cpu = cpu();
    let plain = unsafe { g::ggml_backend_cpu_buffer_type() };
    let mut rnd = xorshift();
    let cases = [
        (
            g::ggml_type_GGML_TYPE_Q8_0,
            // 192 (6 blocks): the one-column loop (4 blocks a turn) leaves
            // two; 5120: Whisper large's second MLP layer
            &[192usize, 512, 2048, 5120][..],
            1..=8usize,
            // the same integer products and scales as ggml's kernel: only
            // the order of the float sums differs (measured ~4e-7)
            1e-5,
        ),
        (
            g::ggml_type_GGML_TYPE_F16,
            &[64, 416, 608, 1500],
            1..=8,
            1e-3,
        ),
    ];
    for (ty, ks, columns, bound) in cases {
        for &k in ks {
            for m in columns.clone() {
                let n = 67; // not a multiple of the threads or of any tile
                let w: Vec<f32> = (0..n * k).map(|_| rnd() * 0.1).collect();
                let x: Vec<f32> = (0..m * k).map(|_| rnd() * 2.0).collect();
                let got = product(&cpu, plain, ty, k, n, &x, &w, false).expect("plain CPU");
                let want = product(&cpu, plain, ty, k, n, &x, &w, true).expect("reference");
                let rel = relative_error(&got, &want);
                assert!(
                    rel < bound,
                    "{} K={k} columns={m}: relative error {rel:.2e}",
                    name(ty)
                );
            }
        }
    }
    unsafe { g::ggml_backend_free(cpu.backend) };
}

/// `w` ([n][k]) times `x` ([m][k]) in f64, as ggml lays the result out
/// ([m][n]).
fn exact(k: usize, x: &[f32], w: &[f32]) -> Vec<f32> {
    x.chunks(k)
        .flat_map(|xr| {
            w.chunks(k).map(move |wr| {
                let s: f64 = xr.iter().zip(wr).map(|(a, b)| *a as f64 * *b as f64).sum();
                s as f32
            })
        })
        .collect()
}

/// susurro's encoder kernel (8-bit weights times 32 columns or more, one
/// scale per row and per column) against the exact product: only the
/// rounding of the two operands may separate them (each about 1/(2·127) of
/// its values' spread with VNNI's 8 bits, 1/(2·63) with AVX2's 7), at
/// Whisper's widths and with row and column counts that are not a multiple
/// of its 4 × 4 tiles. A weight row or column lost fails the bound; a scale
/// off by 1 % fails the least-squares gain, which rounding leaves within
/// 1e-3 of 1.
#[test]
fn the_encoder_kernel_rounds_no_more_than_its_bits() {
    let cpu = cpu();
    let plain = unsafe { g::ggml_backend_cpu_buffer_type() };
    // what this build of ggml was compiled for (not what the CPU could do)
    let (avx2, vnni) = unsafe {
        (
            g::ggml_cpu_has_avx2() != 0 && g::ggml_cpu_has_f16c() != 0,
            g::ggml_cpu_has_avx512_vnni() != 0,
        )
    };
    // 7 bits only where the kernel runs without VNNI (elsewhere ggml's Q8_0)
    let (bits, bound) = if avx2 && !vnni {
        (7, 1.6e-2)
    } else {
        (8, 8e-3)
    };
    eprintln!(
        "built for AVX2 and F16C (the kernel runs): {avx2}; VNNI: {vnni}, so {bits}-bit operands"
    );
    let mut rnd = xorshift();
    let ty = g::ggml_type_GGML_TYPE_Q8_0;
    for k in [384usize, 512, 2048] {
        for m in [32usize, 35, 150] {
            let n = 67;
            let w: Vec<f32> = (0..n * k).map(|_| rnd() * 0.1).collect();
            let x: Vec<f32> = (0..m * k).map(|_| rnd() * 2.0).collect();
            let got = product(&cpu, plain, ty, k, n, &x, &w, false).expect("plain CPU");
            let ggml = product(&cpu, plain, ty, k, n, &x, &w, true).expect("reference");
            let want = exact(k, &x, &w);
            let rel = relative_error(&got, &want);
            let rel_ggml = relative_error(&ggml, &want);
            let gain = gain(&got, &want);
            eprintln!(
                "K={k} columns={m}: {rel:.2e} (ggml's kernel {rel_ggml:.2e}), gain {gain:.5}"
            );
            assert!(rel < bound, "K={k} columns={m}: relative error {rel:.2e}");
            assert!((gain - 1.0).abs() < 1e-3, "K={k} columns={m}: gain {gain}");
            // the kernel ran (its rounding differs from ggml's per-32 one)
            assert_eq!(got != ggml, avx2, "K={k} columns={m}");
        }
    }
    unsafe { g::ggml_backend_free(cpu.backend) };
}

/// GELU, vectorized in the vendored ggml (it looked values up one at a
/// time in an f16 table), against its tanh formula over Whisper's range
/// and past the ends, where it must not overflow.
#[test]
fn gelu_follows_its_formula() {
    let cpu = cpu();
    let x: Vec<f32> = (0..4003).map(|i| -20.0 + i as f32 * 0.01).collect();
    let params = g::ggml_init_params {
        mem_size: 1 << 20,
        mem_buffer: std::ptr::null_mut(),
        no_alloc: true,
    };
    // SAFETY: one context and graph on the CPU backend, sized by ggml; the
    // vectors match the tensors' lengths.
    let got = unsafe {
        let ctx = g::ggml_init(params);
        let xt = g::ggml_new_tensor_1d(ctx, g::ggml_type_GGML_TYPE_F32, x.len() as i64);
        let y = g::ggml_gelu(ctx, xt);
        let gf = g::ggml_new_graph(ctx);
        g::ggml_build_forward_expand(gf, y);
        let ga = g::ggml_gallocr_new(g::ggml_backend_get_default_buffer_type(cpu.backend));
        assert!(g::ggml_gallocr_alloc_graph(ga, gf));
        g::ggml_backend_tensor_set(xt, x.as_ptr() as *const c_void, 0, x.len() * 4);
        assert_eq!(
            g::ggml_backend_graph_compute(cpu.backend, gf),
            g::ggml_status_GGML_STATUS_SUCCESS
        );
        let mut v = vec![0f32; x.len()];
        g::ggml_backend_tensor_get(y, v.as_mut_ptr() as *mut c_void, 0, v.len() * 4);
        g::ggml_gallocr_free(ga);
        g::ggml_free(ctx);
        g::ggml_backend_free(cpu.backend);
        v
    };
    for (x, y) in x.iter().zip(&got) {
        let want = 0.5
            * *x as f64
            * (1.0
                + ((2.0 / std::f64::consts::PI).sqrt()
                    * (*x as f64 + 0.044715 * (*x as f64).powi(3)))
                .tanh());
        assert!(y.is_finite(), "gelu({x}) = {y}");
        assert!(
            (*y as f64 - want).abs() <= 1e-3 * want.abs().max(1e-2),
            "gelu({x}) = {y}, want {want}"
        );
    }
}
