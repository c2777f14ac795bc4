//! Writes that a retry could duplicate (an issue, a comment) are made idempotent by
//! looking before creating: the thing carries a hidden marker, `find` looks for it, and
//! after a failure that may hide a processed request (a 5xx, a lost answer) we look again
//! instead of blindly creating a second one.

use std::time::Duration;

use super::client::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    /// It was there already (made by an earlier run, or by our own lost attempt).
    Found(T),
    Created(T),
}

/// Finds, else creates; at most `attempts` rounds of the two.
pub async fn create_once<T>(
    attempts: u32,
    backoff: Duration,
    find: impl AsyncFn() -> Result<Option<T>, ApiError>,
    create: impl AsyncFn() -> Result<T, ApiError>,
) -> Result<Outcome<T>, ApiError> {
    let mut round = 0;
    loop {
        round += 1;
        if let Some(found) = find().await? {
            return Ok(Outcome::Found(found));
        }
        match create().await {
            Ok(created) => return Ok(Outcome::Created(created)),
            Err(e) if e.maybe_processed() && round < attempts => {
                tokio::time::sleep(backoff.saturating_mul(round)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn server_error() -> ApiError {
        ApiError::Status { method: "POST", path: "/x".into(), status: 502, message: "Bad Gateway".into() }
    }

    #[tokio::test]
    async fn a_create_that_failed_but_landed_is_found_not_repeated() {
        let created = Cell::new(false);
        let creates = Cell::new(0);
        let find = async || Ok(created.get().then_some("existing"));
        let create = async || {
            creates.set(creates.get() + 1);
            created.set(true); // it landed, but the answer was lost
            Err(server_error())
        };
        let outcome = create_once(3, Duration::ZERO, find, create).await.unwrap();
        assert_eq!(outcome, Outcome::Found("existing"));
        assert_eq!(creates.get(), 1);
    }

    #[tokio::test]
    async fn a_permanent_failure_is_not_retried() {
        let creates = Cell::new(0);
        let create = async || {
            creates.set(creates.get() + 1);
            Err::<(), _>(ApiError::Status {
                method: "POST",
                path: "/x".into(),
                status: 422,
                message: "no".into(),
            })
        };
        let result = create_once(3, Duration::ZERO, async || Ok(None), create).await;
        assert!(matches!(result, Err(ApiError::Status { status: 422, .. })));
        assert_eq!(creates.get(), 1);
    }

    #[tokio::test]
    async fn gives_up_after_the_rounds_allowed() {
        let creates = Cell::new(0);
        let create = async || {
            creates.set(creates.get() + 1);
            Err::<(), _>(server_error())
        };
        assert!(create_once(2, Duration::ZERO, async || Ok(None), create).await.is_err());
        assert_eq!(creates.get(), 2);
    }
}
