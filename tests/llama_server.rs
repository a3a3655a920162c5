//! llama.cpp's own HTTP server (`xllamacpp` from PyPI, which `scripts/fixtures.sh` installs) serving
//! the bundled model as a GGUF file on 127.0.0.1, with its Jinja chat template and llama.cpp's
//! reasoning parser: the real server the served-model tests and the window ask through.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use candle_core::quantized::GgmlDType;

use crate::{bundled_model_dir, llama_cpp};

/// A running llama.cpp server; killed when dropped.
pub struct LlamaServer {
    child: Child,
    /// Its address, e.g. `http://127.0.0.1:PORT`.
    pub url: String,
    _dir: tempfile::TempDir,
}

impl LlamaServer {
    /// Serves the bundled model; returns once the server listens.
    pub fn bundled() -> LlamaServer {
        let dir = tempfile::tempdir().unwrap();
        let gguf = dir.path().join("ponder-tiny.gguf");
        ponder_train::gguf::export_gguf(&bundled_model_dir(), &gguf, GgmlDType::F32).expect("gguf");
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/llama_server.py");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(llama_cpp::python())
            .arg(script)
            .arg(&gguf)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("llama.cpp's server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("its address");
        let url = serde_json::from_str::<serde_json::Value>(&line).expect("a JSON line")["url"]
            .as_str()
            .expect("url")
            .to_string();
        LlamaServer { child, url, _dir: dir }
    }

    /// Kills the server at once (SIGKILL): every open connection to it is cut.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        self.kill();
    }
}
