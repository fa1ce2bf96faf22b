// The journey's rules as the issue writes them, shared by the journey and quiet-hours tests.

/** The mapping as written, with the shipped recipients and a refund rule. */
export const JOURNEY_RULES = `
rules:
  - name: confirmation
    when: { event: placed }
    delay: 10m                                   # optional: hold the message; a cancel before it goes withdraws it
    send: { intentId: rb2kYmMdW }
  - name: shipped
    when: { event: shipped, platform: line }
    send:
      message: "Order {{order.number}} is on its way: {{shipment.trackingUrl | \\"see your order page\\"}}"
  - name: cancelled
    when: { event: cancelled }
    quietHours: false                            # optional per rule: ignore the quiet hours
    send:
      message: "Order {{order.number}} was cancelled."
  - name: refunded
    when: { event: refunded }
    send:
      message: "{{refund.amount}} {{refund.currency}} of order {{order.number}} refunded."
`;
