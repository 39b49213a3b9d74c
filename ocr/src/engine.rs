//! One Tesseract engine, driven through the C API that `leptess` exposes (`leptess::capi`).
//!
//! leptess's safe wrapper cannot hand Tesseract raw pixels with our own stride, set the page
//! segmentation mode or run orientation detection, so this module keeps its own handle. It runs
//! only inside a worker process (see [`crate::worker`]): whatever Tesseract does to its process,
//! the caller's process survives.

use image::GrayImage;
use leptess::capi;
use std::ffi::{CStr, CString};
use std::ptr::NonNull;

/// A word as Tesseract reports it, in pixels of the image it was given.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawWord {
    pub text: String,
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
    /// 0..=100.
    pub conf: f32,
    /// Block, paragraph and line numbers: the reading structure, used to rebuild the text.
    pub block: u32,
    pub par: u32,
    pub line: u32,
}

/// An initialised engine: language models loaded once, reused for every page.
pub(crate) struct Engine {
    api: NonNull<capi::TessBaseAPI>,
}

impl Engine {
    /// Loads the models of `languages` ("fra+eng").
    ///
    /// # Errors
    /// When a model is missing (the sentence names the package to install).
    pub(crate) fn new(languages: &str, variables: &[(String, String)]) -> Result<Engine, String> {
        Engine::init(languages, capi::TessOcrEngineMode_OEM_LSTM_ONLY, variables)
    }

    /// An engine for orientation detection only: the `osd` model runs on Tesseract's legacy
    /// classifier, which an LSTM-only engine does not load (its OSD answers are then garbage,
    /// measured: 270° with confidence 230 on a page upside down).
    pub(crate) fn new_osd() -> Result<Engine, String> {
        Engine::init("osd", capi::TessOcrEngineMode_OEM_TESSERACT_ONLY, &[]).map_err(|_| {
            "Tesseract could not load its orientation model (is tesseract-ocr-osd installed?)"
                .to_string()
        })
    }

    /// `variables` are set at initialisation, so that init-only parameters (which dictionaries
    /// to load) take effect too.
    fn init(
        languages: &str,
        oem: capi::TessOcrEngineMode,
        variables: &[(String, String)],
    ) -> Result<Engine, String> {
        let lang = CString::new(languages)
            .map_err(|_| "the language list holds a NUL byte".to_string())?;
        let cstrings = |f: fn(&(String, String)) -> &String| -> Result<Vec<CString>, String> {
            variables
                .iter()
                .map(|v| {
                    CString::new(f(v).as_str())
                        .map_err(|_| "a Tesseract parameter holds a NUL byte".to_string())
                })
                .collect()
        };
        let (names, values) = (cstrings(|v| &v.0)?, cstrings(|v| &v.1)?);
        let mut name_ptrs: Vec<*mut std::os::raw::c_char> =
            names.iter().map(|c| c.as_ptr().cast_mut()).collect();
        let mut value_ptrs: Vec<*mut std::os::raw::c_char> =
            values.iter().map(|c| c.as_ptr().cast_mut()).collect();
        // SAFETY: TessBaseAPICreate returns an owned handle or null.
        let api = NonNull::new(unsafe { capi::TessBaseAPICreate() })
            .ok_or("Tesseract could not be created")?;
        let engine = Engine { api };
        // SAFETY: the handle is valid; a null datapath means the default tessdata folder; the
        // variable arrays hold `len` pointers to NUL-terminated strings that outlive the call,
        // which Tesseract only reads.
        let rc = unsafe {
            capi::TessBaseAPIInit4(
                engine.api.as_ptr(),
                std::ptr::null(),
                lang.as_ptr(),
                oem,
                std::ptr::null_mut(),
                0,
                name_ptrs.as_mut_ptr(),
                value_ptrs.as_mut_ptr(),
                name_ptrs.len(),
                0,
            )
        };
        if rc != 0 {
            return Err(format!(
                "Tesseract could not load the language models \"{languages}\" (are tesseract-ocr-fra and tesseract-ocr-eng installed?)"
            ));
        }
        Ok(engine)
    }

    /// Sets a Tesseract parameter.
    pub(crate) fn set_variable(&mut self, name: &str, value: &str) -> Result<(), String> {
        let (n, v) = (
            CString::new(name).map_err(|e| e.to_string())?,
            CString::new(value).map_err(|e| e.to_string())?,
        );
        // SAFETY: valid handle and NUL-terminated strings that outlive the call.
        let ok = unsafe { capi::TessBaseAPISetVariable(self.api.as_ptr(), n.as_ptr(), v.as_ptr()) };
        if ok == 0 {
            Err(format!("Tesseract has no parameter {name}"))
        } else {
            Ok(())
        }
    }

    fn set_image(&mut self, img: &GrayImage, dpi: u32) {
        let (w, h) = img.dimensions();
        // SAFETY: the buffer holds w*h bytes (one byte per pixel, stride w) and Tesseract copies
        // it into its own Pix before returning.
        unsafe {
            capi::TessBaseAPISetImage(
                self.api.as_ptr(),
                img.as_raw().as_ptr(),
                w as i32,
                h as i32,
                1,
                w as i32,
            );
            capi::TessBaseAPISetSourceResolution(self.api.as_ptr(), dpi.clamp(70, 2400) as i32);
        }
    }

    /// Recognises `img` with page segmentation mode `psm`; returns the words and Tesseract's mean
    /// confidence (0..=100).
    ///
    /// # Errors
    /// When Tesseract reports a failure.
    pub(crate) fn recognize(
        &mut self,
        img: &GrayImage,
        dpi: u32,
        psm: u32,
    ) -> Result<(Vec<RawWord>, f32), String> {
        self.set_image(img, dpi);
        let api = self.api.as_ptr();
        // SAFETY: valid handle; a null monitor means no progress callback and no deadline.
        let rc = unsafe {
            capi::TessBaseAPISetPageSegMode(api, psm as capi::TessPageSegMode);
            capi::TessBaseAPIRecognize(api, std::ptr::null_mut())
        };
        if rc != 0 {
            // SAFETY: valid handle.
            unsafe { capi::TessBaseAPIClear(api) };
            return Err("Tesseract could not recognise the page".into());
        }
        // SAFETY: GetTsvText returns an owned C string (or null) that TessDeleteText frees.
        let tsv = unsafe {
            let p = capi::TessBaseAPIGetTsvText(api, 0);
            if p.is_null() {
                String::new()
            } else {
                let s = CStr::from_ptr(p).to_string_lossy().into_owned();
                capi::TessDeleteText(p);
                s
            }
        };
        // SAFETY: valid handle.
        let mean = unsafe { capi::TessBaseAPIMeanTextConf(api) } as f32;
        // SAFETY: valid handle; frees the page's recognition results, keeps the models.
        unsafe { capi::TessBaseAPIClear(api) };
        Ok((parse_tsv(&tsv), mean))
    }

    /// Orientation detection, on an engine made by [`Engine::new_osd`]: the clockwise rotation, in
    /// degrees, that makes the page upright, with Tesseract's confidence. `None` when OSD finds
    /// too little text to decide.
    pub(crate) fn orientation(&mut self, img: &GrayImage, dpi: u32) -> Option<(u32, f32)> {
        self.set_image(img, dpi);
        let api = self.api.as_ptr();
        let (mut deg, mut conf, mut script, mut sconf) =
            (0i32, 0f32, std::ptr::null::<std::os::raw::c_char>(), 0f32);
        // SAFETY: valid handle and out-pointers to live locals; the script name points into
        // Tesseract's own tables and is not freed.
        let ok = unsafe {
            capi::TessBaseAPISetPageSegMode(api, capi::TessPageSegMode_PSM_OSD_ONLY);
            let ok = capi::TessBaseAPIDetectOrientationScript(
                api,
                &mut deg,
                &mut conf,
                &mut script,
                &mut sconf,
            );
            capi::TessBaseAPIClear(api);
            ok
        };
        (ok != 0).then_some((deg.rem_euclid(360) as u32, conf))
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: the handle is owned and not used after this.
        unsafe {
            capi::TessBaseAPIEnd(self.api.as_ptr());
            capi::TessBaseAPIDelete(self.api.as_ptr());
        }
    }
}

/// Parses Tesseract's TSV output, keeping level-5 rows (words) with text.
pub(crate) fn parse_tsv(tsv: &str) -> Vec<RawWord> {
    let mut out = Vec::new();
    for line in tsv.lines() {
        let cols: Vec<&str> = line.splitn(12, '\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let text = cols[11].trim();
        if text.is_empty() {
            continue;
        }
        let n = |i: usize| cols[i].trim().parse::<i64>().unwrap_or(0).max(0) as u32;
        out.push(RawWord {
            text: text.to_string(),
            block: n(2),
            par: n(3),
            line: n(4),
            left: n(6),
            top: n(7),
            width: n(8),
            height: n(9),
            conf: cols[10]
                .trim()
                .parse::<f32>()
                .unwrap_or(0.0)
                .clamp(0.0, 100.0),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words() {
        let tsv = "1\t1\t0\t0\t0\t0\t0\t0\t100\t50\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t10\t20\t30\t12\t96.5\tBonjour\n\
                   5\t1\t1\t1\t1\t2\t45\t20\t30\t12\t-1\t \n\
                   5\t1\t1\t1\t2\t1\t10\t40\t25\t12\t88\tà tous\n";
        let w = parse_tsv(tsv);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].text, "Bonjour");
        assert_eq!(
            (w[0].left, w[0].top, w[0].width, w[0].height),
            (10, 20, 30, 12)
        );
        assert_eq!(w[1].line, 2);
        assert_eq!(w[1].text, "à tous");
    }
}
