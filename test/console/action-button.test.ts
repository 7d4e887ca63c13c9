import { describe, expect, it } from 'vitest';
import { ActionButton } from '../../functions/console/layout';
import { FORM_TOKEN_FIELD } from '../../functions/console/security';

const render = (props: Parameters<typeof ActionButton>[0]) => String(ActionButton(props));

describe('ActionButton: a console form that is one button', () => {
  it('posts the CSRF token to its action, inline with the text around it', () => {
    expect(render({ action: '/console/dlq/dlq_1/replay', csrf: 'tok', children: 'Replay' })).toBe(
      `<form class="inline" method="post" action="/console/dlq/dlq_1/replay"><input type="hidden" name="${FORM_TOKEN_FIELD}" value="tok"/><button type="submit">Replay</button></form>`,
    );
  });

  it('carries hidden fields, a danger variant, an accessible name, and may stand on a line of its own', () => {
    const html = render({
      action: '/console/runs/run_1/cancel',
      csrf: 'tok',
      fields: { revision: '3', back: '/console?a=1&b=2' },
      variant: 'danger',
      label: 'Cancel run run_1',
      block: true,
      children: 'Cancel run',
    });
    expect(html).toBe(
      '<form method="post" action="/console/runs/run_1/cancel">' +
        `<input type="hidden" name="${FORM_TOKEN_FIELD}" value="tok"/>` +
        '<input type="hidden" name="revision" value="3"/><input type="hidden" name="back" value="/console?a=1&amp;b=2"/>' +
        '<button type="submit" class="danger" aria-label="Cancel run run_1">Cancel run</button></form>',
    );
  });
});
