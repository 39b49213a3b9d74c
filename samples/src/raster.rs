//! Rasterising a [`Page`] at a given resolution into an 8-bit grey image, as a clean print.
//!
//! Anti-aliased glyph outlines from `ab_glyph`; lines, boxes and pen strokes as distance fields.
//! Scanner effects are applied afterwards by [`crate::scanner`].

use crate::doc::{A4_H, A4_W, Item, Page};
use crate::fonts::{Font, FontSet};
use ab_glyph::{Font as _, ScaleFont as _, point};
use image::GrayImage;

/// Page size in pixels at `dpi`.
pub fn page_px(dpi: u32) -> (u32, u32) {
    (
        mm_to_px(A4_W, dpi).round() as u32,
        mm_to_px(A4_H, dpi).round() as u32,
    )
}

pub fn mm_to_px(mm: f32, dpi: u32) -> f32 {
    mm / 25.4 * dpi as f32
}

/// Draws `page` on a white A4 sheet at `dpi`.
///
/// # Errors
/// When the fonts are not installed.
pub fn render(page: &Page, dpi: u32) -> Result<GrayImage, String> {
    let fonts = FontSet::get()?;
    let (w, h) = page_px(dpi);
    let mut img = GrayImage::from_pixel(w, h, image::Luma([255]));
    let s = |mm: f32| mm_to_px(mm, dpi);
    for item in &page.items {
        match item {
            Item::Text {
                x,
                y,
                font,
                size,
                text,
                gray,
            } => {
                draw_text(
                    &mut img,
                    fonts,
                    *font,
                    *size * dpi as f32 / 72.0,
                    s(*x),
                    s(*y),
                    text,
                    *gray,
                );
            }
            Item::Line {
                x0,
                y0,
                x1,
                y1,
                width,
                gray,
            } => {
                draw_segment(
                    &mut img,
                    (s(*x0), s(*y0)),
                    (s(*x1), s(*y1)),
                    s(*width).max(1.0),
                    *gray,
                );
            }
            Item::Rect {
                x,
                y,
                w,
                h,
                stroke,
                fill,
            } => {
                if let Some(g) = fill {
                    fill_rect(&mut img, s(*x), s(*y), s(*x + *w), s(*y + *h), *g);
                }
                if let Some((sw, g)) = stroke {
                    let t = s(*sw).max(1.0);
                    let (x0, y0, x1, y1) = (s(*x), s(*y), s(*x + *w), s(*y + *h));
                    for (a, b) in [
                        ((x0, y0), (x1, y0)),
                        ((x1, y0), (x1, y1)),
                        ((x1, y1), (x0, y1)),
                        ((x0, y1), (x0, y0)),
                    ] {
                        draw_segment(&mut img, a, b, t, *g);
                    }
                }
            }
            Item::Stroke {
                points,
                width,
                gray,
            } => {
                let t = s(*width).max(1.0);
                for pair in points.windows(2) {
                    draw_segment(
                        &mut img,
                        (s(pair[0].0), s(pair[0].1)),
                        (s(pair[1].0), s(pair[1].1)),
                        t,
                        *gray,
                    );
                }
            }
        }
    }
    Ok(img)
}

/// Lays ink `gray` over the pixel with coverage `c` (0..1). Light ink on a dark fill lightens
/// (white text in a black header band).
#[inline]
fn ink(img: &mut GrayImage, x: i64, y: i64, c: f32, gray: u8) {
    if x < 0 || y < 0 || x >= i64::from(img.width()) || y >= i64::from(img.height()) || c <= 0.0 {
        return;
    }
    let p = img.get_pixel_mut(x as u32, y as u32);
    let c = c.min(1.0);
    p.0[0] = (f32::from(p.0[0]) * (1.0 - c) + f32::from(gray) * c).round() as u8;
}

#[allow(clippy::too_many_arguments)]
fn draw_text(
    img: &mut GrayImage,
    fonts: &FontSet,
    font: Font,
    em_px: f32,
    x: f32,
    y: f32,
    text: &str,
    gray: u8,
) {
    let face = fonts.face(font);
    // ab_glyph's PxScale is the pixel height of ascent - descent, not the em: scale the em to
    // `em_px` (its `pt_to_px_scale` assumes 96 dpi screens and would draw 4/3 too large).
    let upem = face.units_per_em().unwrap_or(1000.0);
    let scale = ab_glyph::PxScale::from(em_px * face.height_unscaled() / upem);
    let scaled = face.as_scaled(scale);
    let mut caret = x;
    let mut prev = None;
    for c in text.chars() {
        let id = face.glyph_id(c);
        if let Some(p) = prev {
            caret += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(scale, point(caret, y));
        caret += scaled.h_advance(id);
        prev = Some(id);
        if let Some(outline) = face.outline_glyph(glyph) {
            let b = outline.px_bounds();
            outline.draw(|gx, gy, cov| {
                ink(
                    img,
                    b.min.x as i64 + i64::from(gx),
                    b.min.y as i64 + i64::from(gy),
                    cov,
                    gray,
                );
            });
        }
    }
}

fn fill_rect(img: &mut GrayImage, x0: f32, y0: f32, x1: f32, y1: f32, gray: u8) {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let (xa, xb) = (x0.max(0.0).round() as u32, x1.min(w).round() as u32);
    let (ya, yb) = (y0.max(0.0).round() as u32, y1.min(h).round() as u32);
    for yy in ya..yb {
        for xx in xa..xb {
            img.get_pixel_mut(xx, yy).0[0] = gray;
        }
    }
}

/// A segment of thickness `t` pixels with round caps, anti-aliased over one pixel.
fn draw_segment(img: &mut GrayImage, a: (f32, f32), b: (f32, f32), t: f32, gray: u8) {
    let r = t / 2.0;
    let (minx, maxx) = (a.0.min(b.0) - r - 1.0, a.0.max(b.0) + r + 1.0);
    let (miny, maxy) = (a.1.min(b.1) - r - 1.0, a.1.max(b.1) + r + 1.0);
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = (dx * dx + dy * dy).max(1e-6);
    for yy in (miny.floor() as i64)..=(maxy.ceil() as i64) {
        for xx in (minx.floor() as i64)..=(maxx.ceil() as i64) {
            let (px, py) = (xx as f32 + 0.5, yy as f32 + 0.5);
            let tpar = (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0);
            let (cx, cy) = (a.0 + tpar * dx, a.1 + tpar * dy);
            let d = ((px - cx).powi(2) + (py - cy).powi(2)).sqrt();
            let cov = (r + 0.5 - d).clamp(0.0, 1.0);
            ink(img, xx, yy, cov, gray);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::DocBuilder;
    use crate::fonts::{self, Font};
    use mailroom_domain::Class;

    /// Regression: text was drawn 4/3 too large (ab_glyph's pt_to_px_scale assumes 96 dpi), so
    /// printed lines overflowed the widths the layouts measured.
    #[test]
    fn rendered_text_is_as_wide_as_measured_in_every_face() {
        let text = "Remboursement MMMM 1 234,56";
        for font in Font::ALL {
            let mut b = DocBuilder::new(Class::Other, "test");
            b.text(20.0, 50.0, font, 12.0, text);
            let img = render(&b.finish().pages[0], 300).unwrap();
            let ink: Vec<u32> = img
                .enumerate_pixels()
                .filter(|(_, _, p)| p.0[0] < 128)
                .map(|(x, _, _)| x)
                .collect();
            let (min, max) = (*ink.iter().min().unwrap(), *ink.iter().max().unwrap());
            let measured = mm_to_px(fonts::width_mm(font, 12.0, text), 300);
            let drawn = (max - min) as f32;
            assert!(
                (drawn - measured).abs() < measured * 0.06,
                "{font:?}: drawn {drawn:.0} px, measured {measured:.0} px"
            );
        }
    }
}
