//! Simulated customer and Midtrans-side actions (paying, settling, forcing a
//! status, duplicate and out-of-order notifications). Shared by the public
//! handle and the `/_sim` control endpoints; each waits for the first delivery
//! try of its notifications and reports the webhook's answer.

use super::inner::Inner;
use super::model::CREATED;
use super::state::{RefundRequest, SimError};

/// The first failed answer (error or non-2xx) wins; otherwise the last one.
fn combine(results: Vec<Result<u16, SimError>>) -> Result<u16, SimError> {
    let mut last = Err(SimError::NoNotificationUrl);
    for result in results {
        if !matches!(result, Ok(200..=299)) {
            return result;
        }
        last = result;
    }
    last
}

impl Inner {
    fn current_status(&self, order_id: &str) -> Result<String, SimError> {
        let store = self.store();
        let tx = store
            .get(order_id)
            .ok_or_else(|| SimError::UnknownOrder(order_id.to_owned()))?;
        Ok(tx.status.clone())
    }

    /// Customer picks BCA VA (`pending`, unless already pending) and pays (`settlement`).
    pub async fn pay(&self, order_id: &str) -> Result<u16, SimError> {
        let mut results = Vec::new();
        if self.current_status(order_id)? == CREATED {
            results.push(self.set_status(order_id, "pending", None).await);
        }
        results.push(self.set_status(order_id, "settlement", None).await);
        combine(results)
    }

    /// Customer pays by card: `capture` with `fraud_status=accept`, then
    /// `settlement` (which Midtrans sends later the same or next day).
    pub async fn pay_card(&self, order_id: &str) -> Result<u16, SimError> {
        let mut results = Vec::new();
        if self.current_status(order_id)? == CREATED {
            results.push(self.set_status(order_id, "capture", Some("accept")).await);
        }
        results.push(self.set_status(order_id, "settlement", None).await);
        combine(results)
    }

    /// Customer picks GoPay (`pending`) and has not paid yet.
    pub async fn choose_gopay(&self, order_id: &str) -> Result<u16, SimError> {
        self.store().get_mut(order_id)?.payment_type = Some("gopay".to_owned());
        self.set_status(order_id, "pending", None).await
    }

    /// Customer pays with GoPay: `pending` (unless already pending), then `settlement`.
    pub async fn pay_gopay(&self, order_id: &str) -> Result<u16, SimError> {
        let mut results = Vec::new();
        if self.current_status(order_id)? == CREATED {
            self.store().get_mut(order_id)?.payment_type = Some("gopay".to_owned());
            results.push(self.set_status(order_id, "pending", None).await);
        }
        results.push(self.set_status(order_id, "settlement", None).await);
        combine(results)
    }

    /// Forces a legal move (§6.1) and sends its notification(s). `refund`
    /// refunds what is left; `partial_refund` refunds half of it.
    pub async fn set_status(
        &self,
        order_id: &str,
        status: &str,
        fraud: Option<&str>,
    ) -> Result<u16, SimError> {
        // A window that closed first wins, as at Midtrans: the move below then meets `expire`.
        self.expire_overdue_and_wait().await;
        let dispatch = match status {
            "refund" | "partial_refund" => {
                let (gross, refunded) = {
                    let store = self.store();
                    let tx = store
                        .get(order_id)
                        .ok_or_else(|| SimError::UnknownOrder(order_id.to_owned()))?;
                    (tx.gross_amount, tx.refunded_amount())
                };
                let remaining = gross - refunded;
                let amount = if status == "refund" {
                    remaining
                } else {
                    remaining / 2
                };
                if status == "partial_refund" && amount == 0 {
                    let current = self.current_status(order_id)?;
                    return Err(SimError::IllegalTransition {
                        from: current,
                        to: status.into(),
                    });
                }
                let req = RefundRequest {
                    refund_key: None,
                    amount: Some(amount),
                    reason: "refund forced by simulator".to_owned(),
                    via_api: false,
                };
                self.refund(order_id, req)?.2
            }
            _ => self.transition(order_id, status, fraud)?,
        };
        self.send_and_wait(dispatch).await
    }

    pub async fn resend_last_and_wait(&self, order_id: &str) -> Result<u16, SimError> {
        let dispatch = self.resend_last(order_id)?;
        self.send_and_wait(dispatch).await
    }

    /// A correctly signed notification for `status` that changes nothing.
    pub async fn send_forged(
        &self,
        order_id: &str,
        status: &str,
        gross: Option<&str>,
    ) -> Result<u16, SimError> {
        let dispatch = self.forged(order_id, status, gross);
        self.send_and_wait(dispatch).await
    }
}
