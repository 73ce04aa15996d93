//! argon2id over a memory block that each hashing slot allocates once and keeps.
//!
//! `Argon2::hash_password` allocates its 19 MiB afresh for every hash. With glibc, the first such
//! block is mmapped and unmapped, which raises the allocator's mmap threshold above 19 MiB; every
//! later block then comes from a per-thread arena, which keeps it after it is freed (its trim
//! threshold was raised too). Hashing on many blocking-pool threads thus left up to one block per
//! arena resident: measured with `pasar-bench logins` (debug build, 2 cores, hashing already
//! bounded to 2 at a time), peak and final RSS were 182–296 MB, and 68 MB / 30 MB with
//! `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4194304`. Reusing one block per slot keeps the
//! hashing memory at exactly `slots × 19 MiB`, whatever the allocator does.
//!
//! The cost parameters are `Argon2::default()`'s, as in [`crate::auth::hash_password`], and the
//! PHC strings are interchangeable with [`crate::auth`]'s (tested both ways).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

/// A hashing slot's argon2 memory, grown on first use to the block count the parameters need.
#[derive(Debug, Default)]
pub(super) struct Memory {
    blocks: Vec<Block>,
}

impl Memory {
    /// The first `count` blocks, allocating them if this memory is smaller.
    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.blocks.len() < count {
            self.blocks.resize(count, Block::default());
        }
        &mut self.blocks[..count]
    }

    /// Bytes held (for tests and metrics).
    #[cfg(test)]
    pub(super) fn size(&self) -> usize {
        self.blocks.len() * Block::SIZE
    }
}

/// Hashes `password` with `Argon2::default()` and a fresh salt, into a PHC string.
pub(super) fn hash(memory: &mut Memory, password: &[u8]) -> anyhow::Result<String> {
    let argon2 = Argon2::default();
    let salt = SaltString::generate(&mut OsRng);
    let salt = salt.as_salt();
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(anyhow::Error::msg)?;
    let params = argon2.params();
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let blocks = memory.blocks(params.block_count());
    let output = Output::init_with(output_len, |out| {
        argon2
            .hash_password_into_with_memory(password, salt_bytes, out, &mut *blocks)
            .map_err(Into::into)
    })
    .map_err(anyhow::Error::msg)?;
    let phc = PasswordHash {
        algorithm: Algorithm::default().ident(),
        version: Some(Version::default().into()),
        params: ParamsString::try_from(params).map_err(anyhow::Error::msg)?,
        salt: Some(salt),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc`, computed with the parameters `phc` names.
/// A string that does not parse, or names another memory cost than ours, never matches: all of
/// ours are made by [`hash`] or [`crate::auth::hash_password`], and a larger cost would grow the
/// slot's memory.
pub(super) fn verify(memory: &mut Memory, password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let algorithm = Algorithm::try_from(parsed.algorithm);
    let version = Version::try_from(parsed.version.unwrap_or(Version::default().into()));
    let (Ok(algorithm), Ok(version)) = (algorithm, version) else {
        return false;
    };
    if params.m_cost() != Argon2::default().params().m_cost() {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let blocks = memory.blocks(params.block_count());
    let mut computed = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params);
    argon2
        .hash_password_into_with_memory(password, salt_bytes, &mut computed, blocks)
        .is_ok()
        && bool::from(computed.as_slice().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_matches_its_password_only() {
        let mut memory = Memory::default();
        let phc = hash(&mut memory, b"correct horse battery").expect("hashed");

        assert!(verify(&mut memory, b"correct horse battery", &phc));
        assert!(!verify(&mut memory, b"correct horse batterz", &phc));
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }

    #[tokio::test]
    async fn hashes_are_interchangeable_with_auths() {
        let mut memory = Memory::default();
        let ours = hash(&mut memory, b"correct horse battery").expect("hashed");
        let theirs = crate::auth::hash_password("correct horse battery".into())
            .await
            .expect("hashed");

        assert!(verify(&mut memory, b"correct horse battery", &theirs));
        assert!(crate::auth::verify_password("correct horse battery".into(), Some(ours)).await);
    }

    #[test]
    fn the_memory_is_allocated_once_and_reused() {
        let mut memory = Memory::default();
        let phc = hash(&mut memory, b"first password").expect("hashed");
        let size = memory.size();

        let _ = hash(&mut memory, b"second password").expect("hashed");
        assert!(verify(&mut memory, b"first password", &phc));

        assert_eq!(size, 19 * 1024 * 1024, "m=19456 KiB");
        assert_eq!(memory.size(), size);
    }

    #[test]
    fn a_hash_with_another_memory_cost_or_garbage_never_matches() {
        let mut memory = Memory::default();
        let phc = hash(&mut memory, b"pw").expect("hashed");
        let bigger = phc.replace("m=19456", "m=1048576");

        assert!(!verify(&mut memory, b"pw", &bigger));
        assert!(!verify(&mut memory, b"pw", "not a hash"));
        assert_eq!(memory.size(), 19 * 1024 * 1024);
    }
}
