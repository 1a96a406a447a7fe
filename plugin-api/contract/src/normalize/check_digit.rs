//! Check-digit arithmetic shared by documents, boleto lines and access keys.

/// Weighted sum of `values` with weights cycling `2..=max_weight` from the rightmost value.
pub(crate) fn weighted_sum_from_right(values: impl DoubleEndedIterator<Item = u32>, max_weight: u32) -> u32 {
    let mut weight = 2;
    let mut sum = 0;
    for value in values.rev() {
        sum += value * weight;
        weight = if weight == max_weight { 2 } else { weight + 1 };
    }
    sum
}

/// The FEBRABAN modulus-10 check digit: weights 2,1,2,1... from the right, the digits of each
/// product summed, and `(10 - sum % 10) % 10`.
pub(crate) fn mod10(digits: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let product = u32::from(*d) * if i % 2 == 0 { 2 } else { 1 };
        sum += product / 10 + product % 10;
    }
    ((10 - sum % 10) % 10) as u8
}
