import { useState } from 'preact/hooks';
import type { Explanation, ProfileView } from '../api-types';
import { Badge, ErrorBox } from '../components/bits';
import { DetailRow, RowToggle, TableHead } from '../components/table';
import { ExplainTree } from '../components/explain-tree';
import { formatTime } from '../format';
import { hrefOf } from '../route';

/** Each audience: member since / left when and why, and on demand the rule tree with its values. */
export function Audiences(props: { profile: ProfileView; explanation: Explanation }) {
  const [open, setOpen] = useState<string | undefined>();
  const since = new Map(
    props.profile.memberships.map((membership) => [membership.audience, membership.enteredAt]),
  );
  const exits = new Map(props.profile.lastExits.map((exit) => [exit.audience, exit]));
  return (
    <table>
      <TableHead columns={['Audience', 'Member', 'Since / left', 'Rule']} />
      <tbody>
        {props.explanation.audiences.map((entry) => {
          const exit = exits.get(entry.audience);
          const question = `Why ${entry.member ? '' : 'not '}in ${entry.audience}?`;
          const isOpen = open === entry.audience;
          return [
            <tr key={entry.audience}>
              <th scope="row">
                <a href={hrefOf('audiences', { audience: entry.audience })}>{entry.audience}</a>
              </th>
              <td>
                {entry.member ? <Badge tone="good">member</Badge> : <Badge tone="muted">not a member</Badge>}
              </td>
              <td>
                {entry.member
                  ? `since ${formatTime(since.get(entry.audience))}`
                  : exit
                    ? `left ${formatTime(exit.at)} (${exit.cause})`
                    : ''}
              </td>
              <td>
                <RowToggle open={isOpen} onToggle={() => setOpen(isOpen ? undefined : entry.audience)}>
                  {question}
                </RowToggle>
              </td>
            </tr>,
            isOpen && (
              <DetailRow key={`${entry.audience}-why`} colSpan={4}>
                <WhyPanel entry={entry} />
              </DetailRow>
            ),
          ];
        })}
      </tbody>
    </table>
  );
}

function WhyPanel(props: { entry: Explanation['audiences'][number] }) {
  const { entry } = props;
  if (!entry.explain) return <ErrorBox message={`${entry.audience} is not in the configuration.`} />;
  const drift =
    entry.member !== entry.explain.holds
      ? ` Evaluated now the rule ${entry.explain.holds ? 'holds' : 'does not hold'}: the change is on its way.`
      : '';
  return (
    <section aria-label={`Why ${entry.member ? '' : 'not '}in ${entry.audience}`}>
      <p>
        {entry.member ? 'In' : 'Not in'} <strong>{entry.audience}</strong>: every condition with the value
        read and whether it holds.{drift}
      </p>
      <ExplainTree node={entry.explain} />
    </section>
  );
}
