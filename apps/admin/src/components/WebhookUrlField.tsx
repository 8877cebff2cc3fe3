import '../webhooks.css';

/** The new-import form's optional webhook URL: it receives the final import record, signed (docs/api.md). */
export function WebhookUrlField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <label className="field">
      <span className="field-label">Webhook URL (optional)</span>
      <input
        type="url"
        name="webhookUrl"
        value={value}
        maxLength={2048}
        placeholder="https://example.com/hooks/import-finished"
        onChange={(event) => onChange(event.target.value)}
      />
      <span className="field-help">Receives the import record when the import finishes, signed like every webhook.</span>
    </label>
  );
}
