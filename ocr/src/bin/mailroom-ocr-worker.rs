//! The OCR worker process: started by `mailroom_ocr::Reader`, never by hand. It reads requests
//! on stdin and answers on stdout (see the crate docs).

fn main() {
    mailroom_ocr::worker::serve();
}
