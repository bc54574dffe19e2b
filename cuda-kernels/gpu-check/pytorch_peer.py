#!/usr/bin/env python3
"""PyTorch on the same GPU, the peer of org.layerensembles.benchmarks.gpu.GpuTimings (same keys).

Workload (benchmarks' ModelState): unet-small (UNetConfig.unetSmall(2): 1 input channel, encoder
16/32/64/128 with DoubleConv = (3x3 conv no bias, BatchNorm, ReLU) x 2 and 2x2 max-pool,
bottleneck 256, decoder: bilinear x2 with align_corners=True, concat(up, skip), DoubleConv; final
1x1 conv with bias to 2 classes), batch 8 of 1x128x128 uniform [0, 1), labels 1 where u < 0.3.
Layer Ensembles: one head per tap enc1..enc4, bottleneck, dec1..dec4 (3x3 conv with bias to 2
classes, bilinear align_corners resize to 128x128 when smaller); the backbone's own output is
computed and ignored. Loss: sum over heads of mean cross-entropy; Adam lr 1e-4.
Each measurement: median of 20 after 5 warm-ups, torch.cuda.synchronize() after each.
Usage: pytorch_peer.py <output.tsv>
"""
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH, SIZE, CLASSES, WARMUP, RUNS = 8, 128, 2, 5, 20
ENC, BOTTLENECK = [16, 32, 64, 128], 256


class DoubleConv(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class UNetSmall(nn.Module):
    """Returns the final logits and the 9 tapped feature maps (enc1..4, bottleneck, dec1..4)."""

    def __init__(self):
        super().__init__()
        ins = [1] + ENC[:-1]
        self.enc = nn.ModuleList(DoubleConv(i, o) for i, o in zip(ins, ENC))
        self.bottleneck = DoubleConv(ENC[-1], BOTTLENECK)
        prev, dec = BOTTLENECK, []
        for w in reversed(ENC):
            dec.append(DoubleConv(prev + w, w))
            prev = w
        self.dec = nn.ModuleList(dec)
        self.final = nn.Conv2d(ENC[0], CLASSES, 1)

    def forward(self, x):
        taps, skips = [], []
        for block in self.enc:
            x = block(x)
            taps.append(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)
        taps.append(x)
        for block, skip in zip(self.dec, reversed(skips)):
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
            x = block(torch.cat([x, skip], 1))
            taps.append(x)
        return self.final(x), taps


class LayerEnsemble(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = UNetSmall()
        widths = ENC + [BOTTLENECK] + list(reversed(ENC))
        self.heads = nn.ModuleList(nn.Conv2d(w, CLASSES, 3, padding=1) for w in widths)

    def forward(self, x):
        _, taps = self.backbone(x)
        out = []
        for head, t in zip(self.heads, taps):
            z = head(t)
            if z.shape[-1] != x.shape[-1]:
                z = F.interpolate(z, size=x.shape[-2:], mode="bilinear", align_corners=True)
            out.append(z)
        return out


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.unet = UNetSmall()

    def forward(self, x):
        return [self.unet(x)[0]]


def median_ms(fn):
    times = []
    for i in range(WARMUP + RUNS):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        if i >= WARMUP:
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def uncertainty(probs):
    """Per pixel: mean probability, its entropy; per image: adjacent-head foreground Dice and AULA."""
    p = torch.stack(probs)  # [T, N, C, H, W]
    mean = p.mean(0)
    entropy = -(mean * torch.log(mean.clamp_min(1e-12))).sum(1)
    fg = p.argmax(2) > 0  # [T, N, H, W]
    inter = (fg[:-1] & fg[1:]).flatten(2).sum(2).double()
    size = fg[:-1].flatten(2).sum(2).double() + fg[1:].flatten(2).sum(2).double()
    dice = torch.where(size > 0, 2 * inter / size.clamp_min(1), torch.ones_like(size))  # [T-1, N]
    aula = dice.sum(0) - (dice[0] + dice[-1]) / 2
    return mean, entropy, dice, aula


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else "pytorch-timings.tsv"
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    g = torch.Generator(device="cpu").manual_seed(11)
    images = torch.rand(BATCH, 1, SIZE, SIZE, generator=g).to(dev)
    masks = (torch.rand(BATCH, SIZE, SIZE, generator=g) < 0.3).long().to(dev)
    results = {"device": f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}, "
                         f"cuDNN {torch.backends.cudnn.version()}"}

    src = torch.empty(64 << 20, device=dev)
    dst = torch.empty_like(src)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    gbps = []
    for i in range(WARMUP + RUNS):
        start.record()
        dst.copy_(src)
        end.record()
        end.synchronize()
        if i >= WARMUP:
            gbps.append(2 * src.numel() * 4 / (start.elapsed_time(end) * 1e6))
    results["copy_dtod_gbps"] = f"{statistics.median(gbps):.1f}"

    for name, cls in [("plain", Plain), ("le", LayerEnsemble)]:
        torch.manual_seed(0)
        model = cls().to(dev).train()
        adam = torch.optim.Adam(model.parameters(), lr=1e-4)

        def step():
            loss = sum(F.cross_entropy(z, masks) for z in model(images))
            loss.backward()
            adam.step()
            adam.zero_grad()

        results[f"train_{name}_ms"] = f"{median_ms(step):.3f}"

    le = LayerEnsemble().to(dev).eval()
    with torch.no_grad():
        infer = lambda: uncertainty([z.softmax(1) for z in le(images)])
        results["infer_le_ms"] = f"{median_ms(infer):.3f}"
        probs = [z.softmax(1) for z in le(images)]
        torch.cuda.synchronize()
        ms = median_ms(lambda: uncertainty(probs))
        read = len(probs) * probs[0].numel() * 4
        results["uncertainty_ms"] = f"{ms:.3f}"
        results["uncertainty_gbps"] = f"{read / (ms * 1e6):.1f}"

    text = "".join(f"{k}\t{v}\n" for k, v in results.items())
    with open(out_path, "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
