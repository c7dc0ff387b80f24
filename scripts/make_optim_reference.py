#!/usr/bin/python3
"""Prints PyTorch's numbers for xgrad's optimizers, learning-rate schedulers, gradient clipping and
nn losses, as C++ initializers to paste into tests/nn/test_optim.cpp, test_lr_scheduler.cpp,
test_clip.cpp and test_loss.cpp (each pasted block names this script).

Run with Debian's interpreter, which has python3-torch:
    /usr/bin/python3 scripts/make_optim_reference.py

Everything is float64 and deterministic (no RNG). Optimizer cases minimise the quadratic
loss sum(w * p^2) from a fixed start, so the gradient 2 w p changes every step and shrinks, which
is what separates amsgrad, centered RMSprop and the momentum variants from their plain forms.
"""

import platform

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

START = [1.0, -2.0, 0.5]
WEIGHT = [0.5, 2.0, 1.5]
STEPS = 5


def fmt(values):
    return "{" + ", ".join("%.17g" % v for v in values) + "}"


def run_optimizer(make):
    """Parameter values after each of STEPS steps of `make([p])` on sum(w * p^2)."""
    p = torch.tensor(START, requires_grad=True)
    w = torch.tensor(WEIGHT)
    opt = make([p])
    rows = []
    for _ in range(STEPS):
        opt.zero_grad()
        (w * p * p).sum().backward()
        opt.step()
        rows.append(p.detach().tolist())
    return rows


OPTIMIZERS = [
    # (name, factory, C++ constructor arguments after the parameter list)
    ("sgd", lambda ps: torch.optim.SGD(ps, lr=0.1), "0.1"),
    ("sgd_momentum", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), "0.1, 0.9"),
    ("sgd_dampening", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5),
     "0.1, 0.9, 0.5"),
    ("sgd_nesterov", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
     "0.1, 0.9, 0, 0, true"),
    ("sgd_weight_decay",
     lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1), "0.1, 0.9, 0, 0.1"),
    ("adam", lambda ps: torch.optim.Adam(ps, lr=0.1), "0.1"),
    ("adam_weight_decay", lambda ps: torch.optim.Adam(ps, lr=0.1, weight_decay=0.1),
     "0.1, {0.9, 0.999}, 1e-8, 0.1"),
    ("adam_amsgrad", lambda ps: torch.optim.Adam(ps, lr=0.3, betas=(0.9, 0.5), amsgrad=True),
     "0.3, {0.9, 0.5}, 1e-8, 0, true"),
    ("adamw", lambda ps: torch.optim.AdamW(ps, lr=0.1), "0.1"),
    ("adamw_amsgrad",
     lambda ps: torch.optim.AdamW(ps, lr=0.3, betas=(0.9, 0.5), weight_decay=0.2, amsgrad=True),
     "0.3, {0.9, 0.5}, 1e-8, 0.2, true"),
    ("rmsprop", lambda ps: torch.optim.RMSprop(ps, lr=0.01), "0.01"),
    ("rmsprop_momentum", lambda ps: torch.optim.RMSprop(ps, lr=0.01, momentum=0.9),
     "0.01, 0.99, 1e-8, 0, 0.9"),
    ("rmsprop_centered",
     lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.9, centered=True),
     "0.01, 0.9, 1e-8, 0, 0, true"),
    ("rmsprop_all",
     lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.5,
                                    centered=True),
     "0.01, 0.9, 1e-8, 0.1, 0.5, true"),
]


def print_optimizers():
    print("// optimizers: p0 = %s, loss = sum(w * p^2) with w = %s, %d steps"
          % (fmt(START), fmt(WEIGHT), STEPS))
    results = {}
    for name, make, args in OPTIMIZERS:
        rows = run_optimizer(make)
        results[name] = rows
        print('{"%s", "%s", {%s}},' % (name, args, ", ".join(fmt(r) for r in rows)))
    # The variants must differ from their plain forms on this problem, or the test proves nothing.
    assert results["adam_amsgrad"] != run_optimizer(
        lambda ps: torch.optim.Adam(ps, lr=0.3, betas=(0.9, 0.5)))
    assert results["rmsprop_centered"] != run_optimizer(
        lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.9))


def lr_sequence(make_scheduler, epochs, metrics=None):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make_scheduler(opt)
    lrs = []
    for epoch in range(epochs):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[epoch])
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.9, 0.91, 0.8999, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.91,
                   0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76]


def print_schedulers():
    S = torch.optim.lr_scheduler
    print("// lr after each scheduler.step(), starting from SGD lr = 0.1")
    print("step_lr(step_size=3, gamma=0.5):", fmt(lr_sequence(lambda o: S.StepLR(o, 3, 0.5), 10)))
    print("exponential_lr(gamma=0.9):", fmt(lr_sequence(lambda o: S.ExponentialLR(o, 0.9), 6)))
    print("cosine(T_max=4, eta_min=0.01):",
          fmt(lr_sequence(lambda o: S.CosineAnnealingLR(o, 4, 0.01), 14)))
    print("plateau metrics:", fmt(PLATEAU_METRICS))
    print("plateau(min, factor=0.5, patience=2, threshold=1e-2, cooldown=1, min_lr=0.02):",
          fmt(lr_sequence(lambda o: S.ReduceLROnPlateau(o, "min", 0.5, 2, threshold=1e-2,
                                                        cooldown=1, min_lr=0.02),
                          len(PLATEAU_METRICS), PLATEAU_METRICS)))
    negated = [-m for m in PLATEAU_METRICS]
    print("plateau(max, same, on -metrics):",
          fmt(lr_sequence(lambda o: S.ReduceLROnPlateau(o, "max", 0.5, 2, threshold=1e-2,
                                                        cooldown=1, min_lr=0.02),
                          len(negated), negated)))
    print("plateau(defaults: min, 0.1, patience 10, 1e-4):",
          fmt(lr_sequence(lambda o: S.ReduceLROnPlateau(o), 14, [1.0] * 14)))


def print_clip():
    a = torch.zeros(2, 2, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    a.grad = torch.tensor([[3.0, -4.0], [1.0, 2.0]])
    b.grad = torch.tensor([0.5, -1.5, 2.5])
    norm = torch.nn.utils.clip_grad_norm_([a, b], 2.0)
    print("// clip_grad_norm_ of grads {{3, -4}, {1, 2}} and {0.5, -1.5, 2.5} to max_norm 2")
    print("total norm %.17g" % norm.item())
    print("clipped a", fmt(a.grad.flatten().tolist()), "b", fmt(b.grad.tolist()))


def print_losses():
    x = torch.tensor([0.3, -1.2, 2.5, 0.0, -0.4])
    y = torch.tensor([0.1, 0.4, -0.5, 0.05, -0.4])
    print("// losses of input %s against target %s" % (fmt(x.tolist()), fmt(y.tolist())))
    print("l1 mean %.17g" % F.l1_loss(x, y).item())
    print("huber delta=1 mean %.17g" % F.huber_loss(x, y, delta=1.0).item())
    print("huber delta=0.5 none", fmt(F.huber_loss(x, y, reduction="none", delta=0.5).tolist()))
    logits = torch.tensor([[1.0, 2.0, 0.5], [-0.3, 0.1, 0.8], [2.0, -1.0, 0.0], [0.0, 0.0, 0.0]])
    target = torch.tensor([1, 2, 0, 1])
    print("// logits %s, target %s" % (fmt(logits.flatten().tolist()), fmt(target.tolist())))
    print("nll(log_softmax) none", fmt(F.nll_loss(F.log_softmax(logits, 1), target,
                                                  reduction="none").tolist()))
    for eps in (0.1, 1.0):
        print("cross_entropy label_smoothing=%g mean %.17g, sum %.17g, none %s" % (
            eps, F.cross_entropy(logits, target, label_smoothing=eps).item(),
            F.cross_entropy(logits, target, label_smoothing=eps, reduction="sum").item(),
            fmt(F.cross_entropy(logits, target, label_smoothing=eps, reduction="none").tolist())))


def main():
    print("// Made by scripts/make_optim_reference.py with torch %s, Python %s"
          % (torch.__version__, platform.python_version()))
    print_optimizers()
    print_schedulers()
    print_clip()
    print_losses()


if __name__ == "__main__":
    main()
