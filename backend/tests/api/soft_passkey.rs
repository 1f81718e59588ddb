//! A software authenticator for passkey ceremonies: a P-256 key made with OpenSSL, the authenticator data, the
//! attestation object (CBOR, "none") and the assertion's signature built by hand, so that every field a browser
//! or an authenticator could get wrong can be got wrong on purpose. Used by the API tests
//! (`tests/api/passkeys.rs`) and by `make bench`'s passkey phase (`examples/passkey_bench.rs`, which includes
//! this file).
#![allow(dead_code)]

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use openssl::{
    bn::BigNumContext,
    ec::{EcGroup, EcKey},
    ecdsa::EcdsaSig,
    nid::Nid,
    pkey::Private,
    sha::sha256,
};
use serde_json::{json, Value};

/// The web app's origin in these tests (the default WEB_URL): the RP id is `localhost`.
pub const ORIGIN: &str = "http://localhost:3000";
pub const RP_ID: &str = "localhost";

pub const UP: u8 = 0x01;
pub const UV: u8 = 0x04;
pub const AT: u8 = 0x40;

/// One credential of a software authenticator.
pub struct Authenticator {
    pub key: EcKey<Private>,
    pub credential_id: Vec<u8>,
    pub user_handle: Vec<u8>,
    pub counter: u32,
}

/// How a ceremony's answer is made: each field can be got wrong.
#[derive(Clone)]
pub struct Answer {
    pub origin: String,
    pub rp_id: String,
    pub flags: u8,
}

impl Default for Answer {
    fn default() -> Self {
        Answer { origin: ORIGIN.into(), rp_id: RP_ID.into(), flags: UP | UV }
    }
}

pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false }))
        .unwrap()
}

/// CBOR: a byte string's head.
fn cbor_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    match bytes.len() {
        n if n < 24 => out.push(0x40 | n as u8),
        n if n < 256 => out.extend([0x58, n as u8]),
        n => out.extend([0x59, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(bytes);
}

impl Authenticator {
    /// Answers registration `options` (from `register/start`): a new key, and the credential JSON a browser
    /// would send.
    pub fn create(options: &Value, answer: &Answer) -> (Authenticator, Value) {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = EcKey::generate(&group).unwrap();
        let credential_id: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
        let user_handle = B64.decode(options["user"]["id"].as_str().unwrap()).unwrap();
        let me = Authenticator { key, credential_id, user_handle, counter: 0 };

        let (mut x, mut y) = (openssl::bn::BigNum::new().unwrap(), openssl::bn::BigNum::new().unwrap());
        let mut ctx = BigNumContext::new().unwrap();
        me.key.public_key().affine_coordinates(&group, &mut x, &mut y, &mut ctx).unwrap();
        let (x, y) = (x.to_vec_padded(32).unwrap(), y.to_vec_padded(32).unwrap());
        // COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}
        let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        cbor_bytes(&mut cose, &x);
        cose.push(0x22);
        cbor_bytes(&mut cose, &y);

        let mut auth_data = sha256(answer.rp_id.as_bytes()).to_vec();
        auth_data.push(answer.flags | AT);
        auth_data.extend(0u32.to_be_bytes());
        auth_data.extend([0u8; 16]); // AAGUID
        auth_data.extend((me.credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&me.credential_id);
        auth_data.extend(&cose);
        // {"fmt": "none", "attStmt": {}, "authData": …}
        let mut attestation = vec![0xa3, 0x63];
        attestation.extend(b"fmt");
        attestation.push(0x64);
        attestation.extend(b"none");
        attestation.push(0x67);
        attestation.extend(b"attStmt");
        attestation.push(0xa0);
        attestation.push(0x68);
        attestation.extend(b"authData");
        cbor_bytes(&mut attestation, &auth_data);

        let challenge = options["challenge"].as_str().unwrap();
        let credential = json!({
            "id": b64(&me.credential_id),
            "rawId": b64(&me.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data("webauthn.create", challenge, &answer.origin)),
                "attestationObject": b64(&attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        });
        (me, credential)
    }

    /// Answers sign-in `options` (from `login/start`) with this credential, its counter moved on by one.
    pub fn assert(&mut self, options: &Value, answer: &Answer) -> Value {
        self.counter += 1;
        self.assert_with_counter(options, answer, self.counter)
    }

    /// … with the counter `counter` (a cloned authenticator's may go backwards).
    pub fn assert_with_counter(&self, options: &Value, answer: &Answer, counter: u32) -> Value {
        let challenge = options["challenge"].as_str().unwrap();
        let client_data = client_data("webauthn.get", challenge, &answer.origin);
        let mut auth_data = sha256(answer.rp_id.as_bytes()).to_vec();
        auth_data.push(answer.flags);
        auth_data.extend(counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend(sha256(&client_data));
        let signature = EcdsaSig::sign(&sha256(&signed), &self.key).unwrap().to_der().unwrap();
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(&signature),
                "userHandle": b64(&self.user_handle),
            },
            "clientExtensionResults": {},
        })
    }

    /// The same credential id and user handle, signed with another key (a forgery).
    pub fn forged(&self) -> Authenticator {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        Authenticator {
            key: EcKey::generate(&group).unwrap(),
            credential_id: self.credential_id.clone(),
            user_handle: self.user_handle.clone(),
            counter: self.counter,
        }
    }
}
