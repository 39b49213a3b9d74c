//! What a mailroom scanner does to a printed sheet: resolution, skew, sheets fed upside down or
//! sideways, speckle, blur, uneven exposure, bitonal thresholding, JPEG artefacts.
//!
//! Every geometric change is also applied to the boxes of the printed words and fields, so the
//! metadata gives positions in pixels of the image as stored.

use crate::doc::Rng;
use image::{GrayImage, Luma};
use rand::Rng as _;
use serde::Serialize;

/// How one page was scanned.
#[derive(Clone, Debug, Serialize)]
pub struct ScanProfile {
    pub dpi: u32,
    /// Small rotation from a sheet fed askew, degrees, counter-clockwise positive.
    pub skew_deg: f32,
    /// Quarter turns clockwise applied to the sheet: 2 is upside down, 1 and 3 sideways.
    pub quarter_turns: u8,
    /// Number of dust specks.
    pub specks: u32,
    /// Blur radius in pixels (0 none).
    pub blur: u8,
    /// Paper tone: the white level (235–255).
    pub paper: u8,
    /// Thresholded to black and white (for CCITT G4).
    pub bitonal: bool,
    /// Grey noise amplitude (0 none); only for JPEG pages, as it defeats lossless compression.
    pub noise: u8,
}

impl ScanProfile {
    /// A perfect scan at `dpi`: what the legibility tests read.
    pub fn clean(dpi: u32) -> Self {
        ScanProfile {
            dpi,
            skew_deg: 0.0,
            quarter_turns: 0,
            specks: 0,
            blur: 0,
            paper: 255,
            bitonal: false,
            noise: 0,
        }
    }

    /// A realistic scan for a page stored as `format`.
    pub fn random(rng: &mut Rng, bitonal: bool, lossy: bool) -> Self {
        let dpi = if bitonal {
            *crate::values::pick(rng, &[200, 300, 300, 300])
        } else {
            *crate::values::pick(rng, &[200, 200, 240, 300])
        };
        let quarter_turns = match rng.random_range(0..100) {
            0..=5 => 2,
            6 => 1,
            7 => 3,
            _ => 0,
        };
        let skew_deg = if rng.random_bool(0.25) {
            0.0
        } else {
            rng.random_range(-3.0..3.0f32)
        };
        ScanProfile {
            dpi,
            skew_deg,
            quarter_turns,
            specks: if rng.random_bool(0.6) {
                rng.random_range(0..400)
            } else {
                0
            },
            blur: if rng.random_bool(0.2) { 1 } else { 0 },
            paper: if bitonal {
                255
            } else {
                rng.random_range(236..=255)
            },
            bitonal,
            noise: if lossy && rng.random_bool(0.5) {
                rng.random_range(2..10)
            } else {
                0
            },
        }
    }
}

/// Maps a point of the clean page (pixels) to the scanned image.
#[derive(Clone, Copy, Debug)]
pub struct Placement {
    w: f32,
    h: f32,
    cos: f32,
    sin: f32,
    quarter_turns: u8,
}

impl Placement {
    pub fn point(&self, x: f32, y: f32) -> (f32, f32) {
        // Skew about the centre, then quarter turns.
        let (cx, cy) = (self.w / 2.0, self.h / 2.0);
        let (dx, dy) = (x - cx, y - cy);
        let (sx, sy) = (
            cx + dx * self.cos + dy * self.sin,
            cy - dx * self.sin + dy * self.cos,
        );
        match self.quarter_turns % 4 {
            1 => (self.h - 1.0 - sy, sx),
            2 => (self.w - 1.0 - sx, self.h - 1.0 - sy),
            3 => (sy, self.w - 1.0 - sx),
            _ => (sx, sy),
        }
    }

    /// The axis-aligned box, in scanned pixels, of a box of the clean page.
    pub fn bbox(&self, b: [f32; 4]) -> [u32; 4] {
        let corners =
            [(b[0], b[1]), (b[2], b[1]), (b[0], b[3]), (b[2], b[3])].map(|(x, y)| self.point(x, y));
        let xs = corners.map(|c| c.0);
        let ys = corners.map(|c| c.1);
        let f = |v: f32| v.max(0.0).round() as u32;
        [
            f(xs.iter().copied().fold(f32::MAX, f32::min)),
            f(ys.iter().copied().fold(f32::MAX, f32::min)),
            f(xs.iter().copied().fold(f32::MIN, f32::max)),
            f(ys.iter().copied().fold(f32::MIN, f32::max)),
        ]
    }
}

/// Scans the clean page `img` with `profile`; returns the image and how clean-page points map
/// onto it.
pub fn scan(img: &GrayImage, profile: &ScanProfile, rng: &mut Rng) -> (GrayImage, Placement) {
    let (w, h) = img.dimensions();
    let theta = profile.skew_deg.to_radians();
    let placement = Placement {
        w: w as f32,
        h: h as f32,
        cos: theta.cos(),
        sin: theta.sin(),
        quarter_turns: profile.quarter_turns,
    };
    let mut out = if profile.skew_deg.abs() > 0.01 {
        rotate_small(img, theta)
    } else {
        img.clone()
    };
    if profile.blur > 0 {
        out = box_blur3(&out);
    }
    // Paper tone and noise.
    if profile.paper < 255 || profile.noise > 0 {
        let scale = f32::from(profile.paper) / 255.0;
        let n = i16::from(profile.noise);
        for p in out.pixels_mut() {
            let mut v = (f32::from(p.0[0]) * scale) as i16;
            if n > 0 {
                v += rng.random_range(-n..=n);
            }
            p.0[0] = v.clamp(0, 255) as u8;
        }
    }
    for _ in 0..profile.specks {
        let (x, y) = (rng.random_range(0..w), rng.random_range(0..h));
        let r = rng.random_range(0..=2u32);
        let g = rng.random_range(0..120u8);
        for yy in y.saturating_sub(r)..(y + r + 1).min(h) {
            for xx in x.saturating_sub(r)..(x + r + 1).min(w) {
                if rng.random_bool(0.7) {
                    out.put_pixel(xx, yy, Luma([g]));
                }
            }
        }
    }
    if profile.bitonal {
        let t = rng.random_range(150..190u8);
        for p in out.pixels_mut() {
            p.0[0] = if p.0[0] < t { 0 } else { 255 };
        }
    }
    let out = match profile.quarter_turns % 4 {
        1 => image::imageops::rotate90(&out),
        2 => image::imageops::rotate180(&out),
        3 => image::imageops::rotate270(&out),
        _ => out,
    };
    (out, placement)
}

/// Rotates by a small angle about the centre (bilinear), filling with white.
fn rotate_small(img: &GrayImage, theta: f32) -> GrayImage {
    let (w, h) = img.dimensions();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (c, s) = (theta.cos(), theta.sin());
    let src = img.as_raw();
    let mut out = vec![255u8; src.len()];
    let wi = w as usize;
    out.chunks_mut(wi).enumerate().for_each(|(y, row)| {
        let dy = y as f32 - cy;
        for (x, px) in row.iter_mut().enumerate() {
            let dx = x as f32 - cx;
            // Inverse of the forward map in `Placement::point`.
            let sx = cx + dx * c - dy * s;
            let sy = cy + dx * s + dy * c;
            if sx < 0.0 || sy < 0.0 || sx >= (w - 1) as f32 || sy >= (h - 1) as f32 {
                continue;
            }
            let (x0, y0) = (sx as usize, sy as usize);
            let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
            let i = y0 * wi + x0;
            let a = f32::from(src[i]) * (1.0 - fx) + f32::from(src[i + 1]) * fx;
            let b = f32::from(src[i + wi]) * (1.0 - fx) + f32::from(src[i + wi + 1]) * fx;
            *px = (a * (1.0 - fy) + b * fy).round() as u8;
        }
    });
    GrayImage::from_raw(w, h, out).expect("same size")
}

fn box_blur3(img: &GrayImage) -> GrayImage {
    let (w, h) = img.dimensions();
    let mut out = img.clone();
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let mut sum = 0u32;
            for (dx, dy) in [
                (0, 0),
                (1, 0),
                (0, 1),
                (2, 1),
                (1, 2),
                (1, 1),
                (0, 2),
                (2, 0),
                (2, 2),
            ] {
                sum += u32::from(img.get_pixel(x + dx - 1, y + dy - 1).0[0]);
            }
            out.put_pixel(x, y, Luma([(sum / 9) as u8]));
        }
    }
    out
}

/// A blank back of a sheet: paper tone, a few specks, sometimes the faint show-through of the
/// front printed in mirror.
pub fn blank_back(front: Option<&GrayImage>, dpi: u32, rng: &mut Rng, bitonal: bool) -> GrayImage {
    let (w, h) = crate::raster::page_px(dpi);
    let paper = if bitonal {
        255
    } else {
        rng.random_range(238..=255u8)
    };
    let mut img = GrayImage::from_pixel(w, h, Luma([paper]));
    if !bitonal
        && let Some(front) = front.filter(|f| f.dimensions() == (w, h))
        && rng.random_bool(0.4)
    {
        let mirrored = image::imageops::flip_horizontal(front);
        for (p, q) in img.pixels_mut().zip(mirrored.pixels()) {
            // Show-through: 4 % of the ink.
            let ink = 255 - q.0[0];
            p.0[0] = p.0[0].saturating_sub(ink / 25);
        }
    }
    for _ in 0..rng.random_range(0..40) {
        let (x, y) = (rng.random_range(0..w), rng.random_range(0..h));
        img.put_pixel(x, y, Luma([rng.random_range(0..100u8)]));
    }
    img
}
