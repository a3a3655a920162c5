//! A bounded walk over a GGUF file's header before any reader allocates from it.
//!
//! GGUF stores lengths (of strings, arrays, tensor shapes) that a reader trusts to size its buffers:
//! candle's reader allocates a string of whatever length the file claims, so a 40-byte file can ask for
//! exabytes and abort the process. Here every length is checked against the bytes the file actually has
//! left, every tensor's shape and offset against the data section, before the real reader runs.

use std::io::{BufReader, Read};
use std::path::Path;

use crate::EngineError;

/// Dimensions a GGML tensor can have.
const MAX_DIMS: u32 = 4;
/// Nesting of arrays inside arrays that a metadata value may have.
const MAX_ARRAY_DEPTH: u32 = 2;

struct Header<R> {
    input: R,
    /// Bytes of the file not read yet.
    left: u64,
    /// Bytes read so far.
    at: u64,
}

/// Checks the header of the GGUF file at `path`; the error names the file and what is wrong.
pub(crate) fn check_gguf(path: &Path) -> Result<(), EngineError> {
    let corrupt = |reason: String| EngineError::CorruptFile { path: path.to_path_buf(), reason };
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => EngineError::MissingFile(path.to_path_buf()),
        _ => corrupt(e.to_string()),
    })?;
    let size = file.metadata().map_err(|e| corrupt(e.to_string()))?.len();
    let mut h = Header { input: BufReader::new(file), left: size, at: 0 };
    walk(&mut h, size).map_err(corrupt)
}

fn walk<R: Read>(h: &mut Header<R>, size: u64) -> Result<(), String> {
    if h.bytes(4)? != b"GGUF" {
        return Err("not a GGUF file (no GGUF magic number)".into());
    }
    let version = h.u32()?;
    if !(1..=3).contains(&version) {
        return Err(format!("GGUF version {version} is not one Ponder reads (1 to 3)"));
    }
    let count = |h: &mut Header<R>| if version == 1 { h.u32().map(u64::from) } else { h.u64() };
    let tensors = count(h)?;
    let entries = count(h)?;
    // Each metadata entry and tensor takes at least a dozen bytes: more than the file holds is a lie.
    if tensors.saturating_add(entries).saturating_mul(12) > h.left {
        return Err(format!(
            "claims {tensors} tensors and {entries} metadata entries, more than its {size} bytes can hold"
        ));
    }
    let mut alignment = 32u64;
    for _ in 0..entries {
        let key = h.string(version)?;
        let ty = h.u32()?;
        if key == "general.alignment" && ty == 4 {
            alignment = u64::from(h.u32()?);
            if alignment == 0 || !alignment.is_power_of_two() || alignment > 1 << 20 {
                return Err(format!("general.alignment = {alignment} is not a sensible alignment"));
            }
        } else {
            h.value(ty, version, 0).map_err(|e| format!("metadata {key:?}: {e}"))?;
        }
    }
    let mut infos = Vec::new();
    for _ in 0..tensors {
        let name = h.string(version)?;
        let dims = h.u32()?;
        if dims == 0 || dims > MAX_DIMS {
            return Err(format!("tensor {name:?} has {dims} dimensions (at most {MAX_DIMS})"));
        }
        let mut elements: u64 = 1;
        for _ in 0..dims {
            let d = h.u64()?;
            elements = elements
                .checked_mul(d)
                .filter(|n| *n <= size.saturating_mul(8))
                .ok_or_else(|| format!("tensor {name:?} has a shape larger than the file"))?;
        }
        let ty = h.u32()?;
        let offset = h.u64()?;
        infos.push((name, elements, ty, offset));
    }
    let data_start = h.at.div_ceil(alignment) * alignment;
    let data_len = size.saturating_sub(data_start);
    for (name, elements, ty, offset) in infos {
        let (block, bytes) =
            block_size(ty).ok_or_else(|| format!("tensor {name:?} has unknown type {ty}"))?;
        let len = elements.div_ceil(block).saturating_mul(bytes);
        if offset % alignment != 0 || offset.saturating_add(len) > data_len {
            return Err(format!(
                "tensor {name:?} ({len} bytes at offset {offset}) lies outside the file's {data_len} bytes of data (truncated?)"
            ));
        }
    }
    Ok(())
}

/// Elements per block and bytes per block of a GGML tensor type.
fn block_size(ty: u32) -> Option<(u64, u64)> {
    Some(match ty {
        0 => (1, 4),      // F32
        1 => (1, 2),      // F16
        2 => (32, 18),    // Q4_0
        3 => (32, 20),    // Q4_1
        6 => (32, 22),    // Q5_0
        7 => (32, 24),    // Q5_1
        8 => (32, 34),    // Q8_0
        9 => (32, 36),    // Q8_1
        10 => (256, 84),  // Q2_K
        11 => (256, 110), // Q3_K
        12 => (256, 144), // Q4_K
        13 => (256, 176), // Q5_K
        14 => (256, 210), // Q6_K
        15 => (256, 292), // Q8_K
        24 => (1, 1),     // I8
        25 => (1, 2),     // I16
        26 => (1, 4),     // I32
        27 => (1, 8),     // I64
        28 => (1, 8),     // F64
        30 => (1, 2),     // BF16
        _ => return None,
    })
}

impl<R: Read> Header<R> {
    fn take(&mut self, n: u64) -> Result<(), String> {
        if n > self.left {
            return Err(format!(
                "at byte {} it claims {n} more bytes, but only {} are left (truncated or hostile file)",
                self.at, self.left
            ));
        }
        self.left -= n;
        self.at += n;
        Ok(())
    }

    fn bytes(&mut self, n: u64) -> Result<Vec<u8>, String> {
        self.take(n)?;
        let mut buf = vec![0u8; n as usize];
        self.input.read_exact(&mut buf).map_err(|e| e.to_string())?;
        Ok(buf)
    }

    fn skip(&mut self, n: u64) -> Result<(), String> {
        self.take(n)?;
        let copied = std::io::copy(&mut (&mut self.input).take(n), &mut std::io::sink())
            .map_err(|e| e.to_string())?;
        if copied != n {
            return Err("the file ended early".into());
        }
        Ok(())
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.bytes(4)?.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.bytes(8)?.try_into().expect("8 bytes")))
    }

    fn string(&mut self, version: u32) -> Result<String, String> {
        let len = if version == 1 { u64::from(self.u32()?) } else { self.u64()? };
        let bytes = self.bytes(len)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Skips one metadata value of type `ty`, checking every length in it.
    fn value(&mut self, ty: u32, version: u32, depth: u32) -> Result<(), String> {
        match ty {
            0 | 1 | 7 => self.skip(1),
            2 | 3 => self.skip(2),
            4..=6 => self.skip(4),
            10..=12 => self.skip(8),
            8 => {
                let len = if version == 1 { u64::from(self.u32()?) } else { self.u64()? };
                self.skip(len)
            }
            9 => {
                if depth >= MAX_ARRAY_DEPTH {
                    return Err("arrays nested too deeply".into());
                }
                let elem = self.u32()?;
                let n = if version == 1 { u64::from(self.u32()?) } else { self.u64()? };
                let least = match elem {
                    0 | 1 | 7 => 1,
                    2 | 3 => 2,
                    4..=6 => 4,
                    8 | 10..=12 => 8,
                    9 => 12,
                    other => return Err(format!("an array of unknown type {other}")),
                };
                if n.saturating_mul(least) > self.left {
                    return Err(format!("an array of {n} elements, more than the file holds"));
                }
                if matches!(elem, 8 | 9) {
                    for _ in 0..n {
                        self.value(elem, version, depth + 1)?;
                    }
                    Ok(())
                } else {
                    self.skip(n * least)
                }
            }
            other => Err(format!("a value of unknown type {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gguf(build: impl FnOnce(&mut Vec<u8>)) -> tempfile::NamedTempFile {
        let mut b = b"GGUF".to_vec();
        b.extend(3u32.to_le_bytes());
        build(&mut b);
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), b).unwrap();
        f
    }

    fn string(b: &mut Vec<u8>, s: &str) {
        b.extend((s.len() as u64).to_le_bytes());
        b.extend(s.as_bytes());
    }

    #[test]
    fn lengths_larger_than_the_file_are_refused_before_anything_is_allocated() {
        let huge_string = gguf(|b| {
            b.extend(0u64.to_le_bytes());
            b.extend(1u64.to_le_bytes());
            b.extend(u64::MAX.to_le_bytes()); // a key of 2^64 - 1 bytes
            b.extend([b'x'; 64]);
        });
        let e = check_gguf(huge_string.path()).unwrap_err().to_string();
        assert!(
            e.contains("more bytes") && e.contains(&huge_string.path().display().to_string()),
            "{e}"
        );
        let many = gguf(|b| {
            b.extend((1u64 << 40).to_le_bytes());
            b.extend(0u64.to_le_bytes());
        });
        assert!(check_gguf(many.path()).unwrap_err().to_string().contains("more than its"));
        let array = gguf(|b| {
            b.extend(0u64.to_le_bytes());
            b.extend(1u64.to_le_bytes());
            string(b, "tokenizer.ggml.tokens");
            b.extend(9u32.to_le_bytes());
            b.extend(8u32.to_le_bytes());
            b.extend((1u64 << 50).to_le_bytes());
        });
        let e = check_gguf(array.path()).unwrap_err().to_string();
        assert!(e.contains("tokenizer.ggml.tokens") && e.contains("elements"), "{e}");
    }

    #[test]
    fn tensors_must_fit_the_data_section() {
        let tensor = |dims: &[u64], ty: u32, data: usize| {
            gguf(move |b| {
                b.extend(1u64.to_le_bytes());
                b.extend(0u64.to_le_bytes());
                string(b, "w");
                b.extend((dims.len() as u32).to_le_bytes());
                for d in dims {
                    b.extend(d.to_le_bytes());
                }
                b.extend(ty.to_le_bytes());
                b.extend(0u64.to_le_bytes());
                while b.len() % 32 != 0 {
                    b.push(0);
                }
                b.extend(vec![0u8; data]);
            })
        };
        check_gguf(tensor(&[4, 2], 0, 32).path()).unwrap();
        let e = check_gguf(tensor(&[4, 2], 0, 16).path()).unwrap_err().to_string();
        assert!(e.contains("outside") && e.contains("\"w\""), "{e}");
        let e = check_gguf(tensor(&[1 << 32, 1 << 32], 0, 32).path()).unwrap_err().to_string();
        assert!(e.contains("larger than the file"), "{e}");
        let e = check_gguf(tensor(&[2, 2, 2, 2, 2], 0, 32).path()).unwrap_err().to_string();
        assert!(e.contains("5 dimensions"), "{e}");
        let e = check_gguf(tensor(&[4], 99, 32).path()).unwrap_err().to_string();
        assert!(e.contains("unknown type 99"), "{e}");
    }
}
