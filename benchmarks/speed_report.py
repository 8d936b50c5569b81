"""Turn the workers' results of `speed.py` into its headline numbers, goals and printed tables.

The ratios divide `logogan_fit` on a backend by each hand-written loop.
The share of the matmul peak is images/s x FLOPs per training image / the
NumPy float32 matmul rate. The goals compare those numbers with fixed
thresholds.
"""

import speed_flops

DEFAULT_BACKEND = "tensorflow"
BACKENDS = ("tensorflow", "jax", "torch")
LOOPS = ("logogan_fit", "gradient_tape", "hobby_loop", "pytorch_loop")
GOALS = {
    "ratio_vs_gradient_tape": 1.0,
    "ratio_vs_pytorch": 1.0,
    "ratio_vs_seed_loop": 1.5,
    "fraction_of_matmul_peak": 0.5,
    "generate_images_per_second": 3000.0,
}


def summarize(runs, matmul_at_start, matmul_at_end):
    """Return the headline numbers of the result file from the workers' results."""
    loop_runs = [run for run in runs if run["loop"] in LOOPS and "error" not in run]
    images_per_second, images_per_cpu_second = {}, {}
    for run in loop_runs:
        images_per_second.setdefault(run["loop"], {})[run["backend"]] = run["images_per_second"]
        images_per_cpu_second.setdefault(run["loop"], {})[run["backend"]] = run[
            "images_per_cpu_second"
        ]
    headline_ratios, ratios_per_backend = compute_ratios(images_per_second)

    fit_runs = [run for run in loop_runs if run["loop"] == "logogan_fit"]
    flops = summarize_flops(runs)
    peak = max(matmul_at_start["best_gflops"], matmul_at_end["best_gflops"])
    per_image = flops["flops_per_training_image"] if flops else None
    fractions = {
        run["backend"]: fraction_of_peak(run["images_per_second"], per_image, peak)
        for run in fit_runs
    }
    generate = {run["backend"]: run["generate"]["images_per_second"] for run in fit_runs}
    summary = {
        "images_per_second": images_per_second,
        "images_per_cpu_second": images_per_cpu_second,
        **headline_ratios,
        "ratios_per_backend": ratios_per_backend,
        "interleaved": summarize_interleaved(runs),
        "generate_images_per_second": generate,
        "generate": {run["backend"]: run["generate"] for run in fit_runs},
        "flops_per_training_image": per_image,
        "flops_method": flops["flops_method"] if flops else None,
        "flops": flops,
        "matmul_peak_gflops": peak,
        "matmul": {
            "at_start": matmul_at_start,
            "at_end": matmul_at_end,
            "jax_jit_best_gflops": next(
                (
                    run["jax_matmul"]["best_gflops"]
                    for run in runs
                    if run["loop"] == "flops" and "error" not in run
                ),
                None,
            ),
        },
        "fraction_of_matmul_peak": fractions,
        "fraction_of_matmul_peak_per_loop": fractions_per_loop(loop_runs, flops, peak),
        "epoch_starts": {
            run["backend"]: run["epoch_starts"] for run in fit_runs if "epoch_starts" in run
        },
        "parameters": compare_parameters(runs),
        "errors": [
            {key: run[key] for key in ("loop", "backend", "error")}
            for run in runs
            if "error" in run
        ],
    }
    summary["goals"] = check_goals(summary)
    return summary


def compute_ratios(images_per_second):
    """Return the headline ratios of `logogan_fit` on the default backend, and the ratios of every backend."""
    fit = images_per_second.get("logogan_fit", {})
    baselines = {
        "hobby_loop": images_per_second.get("hobby_loop", {}).get("tensorflow"),
        "gradient_tape": images_per_second.get("gradient_tape", {}).get("tensorflow"),
        "pytorch_loop": images_per_second.get("pytorch_loop", {}).get("torch"),
    }
    per_backend = {
        backend: {f"vs_{loop}": ratio(rate, baseline) for loop, baseline in baselines.items()}
        for backend, rate in fit.items()
    }
    default = per_backend.get(DEFAULT_BACKEND, {})
    headline = {
        "ratio_vs_seed_loop": default.get("vs_hobby_loop"),
        "ratio_vs_gradient_tape": default.get("vs_gradient_tape"),
        "ratio_vs_pytorch": default.get("vs_pytorch_loop"),
    }
    return headline, per_backend


def summarize_interleaved(runs):
    """Return the `tf_interleaved` worker's images/s per loop and median paired ratios, or None."""
    run = next(
        (run for run in runs if run["loop"] == "tf_interleaved" and "error" not in run), None
    )
    if run is None:
        return None
    paired = run["paired_ratios"]
    return {
        "images_per_second": {
            name: loop["images_per_second"] for name, loop in run["loops"].items()
        },
        "ratio_vs_gradient_tape": paired["gradient_tape"]["median"],
        "ratio_vs_seed_loop": paired["hobby_loop"]["median"],
        "measured_cycles": len(paired["gradient_tape"]["per_cycle"]),
    }


def ratio(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def fraction_of_peak(images_per_second, flops_per_image, peak_gflops):
    if images_per_second is None or flops_per_image is None:
        return None
    return images_per_second * flops_per_image / (peak_gflops * 1e9)


def find_keras_networks(runs):
    """Return the analytic description of the Keras networks from the first worker that reported one."""
    for run in runs:
        if "error" in run or run["loop"] == "pytorch_loop":
            continue
        if "networks" in run:
            return run["networks"]
    for run in runs:
        if "keras_networks" in run:
            return run["keras_networks"]
    return None


def summarize_flops(runs):
    """Return the FLOPs per training image: XLA's count when a flops worker ran, the analytic one otherwise."""
    keras_networks = find_keras_networks(runs)
    if keras_networks is None:
        return None
    generator, discriminator = keras_networks["generator"], keras_networks["discriminator"]
    analytic = 2 * speed_flops.training_macs("alternating", generator, discriminator)
    analytic_per_loop = {
        loop: 2 * speed_flops.training_macs(schedule, generator, discriminator)
        for loop, schedule in speed_flops.LOOP_SCHEDULES.items()
    }

    xla = next((run["xla"] for run in runs if run["loop"] == "flops" and "error" not in run), None)
    if xla is not None:
        per_image, method = (
            xla["flops_per_image"],
            f"XLA cost analysis on the JAX backend: {xla['method']}",
        )
    else:
        per_image, method = (
            analytic,
            "analytic: 2 x the dense and convolution MACs of one alternating step",
        )
    return {
        "flops_per_training_image": per_image,
        "flops_method": method,
        "xla": xla,
        "analytic_flops_per_training_image": analytic,
        "xla_to_analytic_ratio": ratio(xla["flops_per_image"], analytic) if xla else None,
        "analytic_flops_per_training_image_per_loop": analytic_per_loop,
        "schedules": {loop: speed_flops.LOOP_SCHEDULES[loop] for loop in analytic_per_loop},
        "forward_macs_per_image": {
            "generator": generator["forward_macs"],
            "discriminator": discriminator["forward_macs"],
        },
        "layers": {"generator": generator["layers"], "discriminator": discriminator["layers"]},
    }


def fractions_per_loop(loop_runs, flops, peak_gflops):
    """Return the share of the matmul peak of every loop and backend.

    A loop's FLOPs per image are `flops_per_training_image` times the ratio
    of its analytic count to the analytic count of LogoGAN's step, so
    `hobby_loop` is credited with its extra inference pass.
    """
    if flops is None:
        return {}
    fractions = {}
    for run in loop_runs:
        scale = (
            flops["analytic_flops_per_training_image_per_loop"][run["loop"]]
            / flops["analytic_flops_per_training_image"]
        )
        per_image = flops["flops_per_training_image"] * scale
        fractions.setdefault(run["loop"], {})[run["backend"]] = fraction_of_peak(
            run["images_per_second"], per_image, peak_gflops
        )
    return fractions


def compare_parameters(runs):
    """Return the parameter counts of the Keras networks and of the PyTorch twins, and whether they match."""
    keras_networks = find_keras_networks(runs)
    torch_run = next(
        (run for run in runs if run["loop"] == "pytorch_loop" and "error" not in run), None
    )

    def counts(networks):
        if networks is None:
            return None
        return {
            name: {
                key: networks[name][key]
                for key in ("trainable_parameters", "non_trainable_parameters")
            }
            for name in ("generator", "discriminator")
        }

    return {
        "keras": counts(keras_networks),
        "pytorch": counts(torch_run["networks"]) if torch_run else None,
        "pytorch_matches_keras": torch_run["parameters_match_keras"] if torch_run else None,
        "pytorch_forward_macs_match_keras": torch_run["forward_macs_match_keras"]
        if torch_run
        else None,
    }


def check_goals(summary):
    """Return each speed goal with its measured value and whether it is met (None when not measured)."""
    goals = []

    def add(description, value, threshold):
        goals.append(
            {
                "goal": description,
                "value": value,
                "threshold": threshold,
                "met": None if value is None else value >= threshold,
            }
        )

    add(
        "logogan_fit on tensorflow / gradient_tape",
        summary["ratio_vs_gradient_tape"],
        GOALS["ratio_vs_gradient_tape"],
    )
    add(
        "logogan_fit on tensorflow / pytorch_loop",
        summary["ratio_vs_pytorch"],
        GOALS["ratio_vs_pytorch"],
    )
    add(
        "logogan_fit on tensorflow / hobby_loop",
        summary["ratio_vs_seed_loop"],
        GOALS["ratio_vs_seed_loop"],
    )
    interleaved = summary.get("interleaved")
    if interleaved:
        add(
            "logogan_fit on tensorflow / gradient_tape, in turns in one process",
            interleaved["ratio_vs_gradient_tape"],
            GOALS["ratio_vs_gradient_tape"],
        )
        add(
            "logogan_fit on tensorflow / hobby_loop, in turns in one process",
            interleaved["ratio_vs_seed_loop"],
            GOALS["ratio_vs_seed_loop"],
        )
    for backend, fraction in summary["fraction_of_matmul_peak"].items():
        add(
            f"logogan_fit on {backend}: fraction of the matmul peak",
            fraction,
            GOALS["fraction_of_matmul_peak"],
        )
    for backend, rate in summary["generate_images_per_second"].items():
        add(f"generate on {backend}: images/s", rate, GOALS["generate_images_per_second"])
    return goals


def print_report(result):
    """Print the throughput table, the ratios, generation, FLOPs, the goals and the epoch starts."""
    settings = result["settings"]
    print(
        f"\nbatch {settings['batch_size']}, {settings['steps']} steps per epoch, median of "
        f"{settings['epochs']} measured epochs after {settings['warmup_epochs']} warm-up epoch(s)"
    )
    print_throughput_table(result)

    print("\nlogogan_fit / loop, per backend:")
    for backend, ratios in result["ratios_per_backend"].items():
        print(
            f"  {backend:<11}"
            + "  ".join(f"{name} {format_number(value, '.2f')}" for name, value in ratios.items())
        )

    print_interleaved(result.get("interleaved"))

    print(
        f"\nmatmul peak: {result['matmul_peak_gflops']:.1f} GFLOP/s (NumPy float32 2048x2048, best of both "
        f"series); jitted JAX: {format_number(result['matmul']['jax_jit_best_gflops'], '.1f')} GFLOP/s"
    )
    flops = result["flops"]
    if flops:
        print(
            f"FLOPs per training image: {flops['flops_per_training_image'] / 1e6:.1f} M ({result['flops_method']}); "
            f"analytic {flops['analytic_flops_per_training_image'] / 1e6:.1f} M, "
            f"XLA/analytic {format_number(flops['xla_to_analytic_ratio'], '.2f')}"
        )

    print("\ngenerate, fraction of the matmul peak:")
    for backend in result["generate"]:
        generate = result["generate"][backend]
        print(
            f"  {backend:<11}{generate['images_per_second']:>9.0f} images/s at batch {generate['best_batch_size']:<5} "
            f"training at {format_number(result['fraction_of_matmul_peak'].get(backend), '.1%')} of the peak"
        )

    print("\ngoals:")
    for goal in result["goals"]:
        verdict = {True: "met", False: "not met", None: "not measured"}[goal["met"]]
        print(
            f"  {goal['goal']}: {format_number(goal['value'], '.3g')} (at least {goal['threshold']:g}): {verdict}"
        )

    for backend, starts in result["epoch_starts"].items():
        print_epoch_starts(backend, starts)
    for error in result["errors"]:
        print(f"\nFAILED: {error['loop']} on {error['backend']}: {error['error']}")


def print_interleaved(interleaved):
    if not interleaved:
        return
    rates = ", ".join(
        f"{name} {rate:.1f}" for name, rate in interleaved["images_per_second"].items()
    )
    print(
        f"\nin turns in one TensorFlow process, {interleaved['measured_cycles']} cycles: "
        f"images/s {rates}"
    )
    print(
        f"  median paired ratio of logogan_fit: vs gradient_tape "
        f"{format_number(interleaved['ratio_vs_gradient_tape'], '.2f')}, vs hobby_loop "
        f"{format_number(interleaved['ratio_vs_seed_loop'], '.2f')}"
    )


def format_number(value, spec):
    return "n/a" if value is None else format(value, spec)


def print_throughput_table(result):
    runs = [run for run in result["runs"] if run["loop"] in LOOPS and "error" not in run]
    default_rate = result["images_per_second"].get("logogan_fit", {}).get(DEFAULT_BACKEND)
    print(
        f"{'loop':<15}{'backend':<12}{'images/s':>10}{'epoch range':>19}{'images/CPU-s':>14}"
        f"{'fit on ' + DEFAULT_BACKEND + ' / loop':>28}"
    )
    for run in runs:
        spread = f"{run['images_per_second_min']:.0f} to {run['images_per_second_max']:.0f}"
        print(
            f"{run['loop']:<15}{run['backend']:<12}{run['images_per_second']:>10.1f}{spread:>19}"
            f"{format_number(run['images_per_cpu_second'], '.1f'):>14}"
            f"{format_number(ratio(default_rate, run['images_per_second']), '.2f'):>28}"
        )


def print_epoch_starts(backend, starts):
    print(
        f"\nepoch starts, logogan_fit on {backend} ({starts['images_per_epoch']} images per epoch, "
        f"batch {starts['batch_size']}), in seconds:"
    )
    print(
        f"  {'input':<18}{'epoch':>6}{'epoch s':>10}{'first step':>12}{'median step':>13}{'start delay':>13}{'images/s':>10}"
    )
    for style in ("array", "repeated_dataset"):
        for epoch in starts[style]:
            print(
                f"  {style:<18}{epoch['epoch']:>6}{epoch['seconds']:>10.2f}{epoch['first_step_seconds']:>12.3f}"
                f"{epoch['median_step_seconds']:>13.3f}{epoch['start_delay_seconds']:>13.3f}"
                f"{epoch['images_per_second']:>10.0f}"
            )
