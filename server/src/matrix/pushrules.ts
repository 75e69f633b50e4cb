// The spec's predefined push rules (server-default), for a user id. Rinki has
// no push gateway; clients use these rules for in-app notifications.
export function defaultPushRules(userId: string) {
  const rule = (rule_id: string, conditions: unknown[], actions: unknown[], enabled = true) => ({
    rule_id,
    default: true,
    enabled,
    conditions,
    actions,
  });
  const event = (key: string, pattern: string) => ({ kind: 'event_match', key, pattern });
  const notifyDefault = ['notify', { set_tweak: 'sound', value: 'default' }];
  const notifyHighlight = ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }];
  return {
    global: {
      override: [
        rule('.m.rule.master', [], [], false),
        rule('.m.rule.suppress_notices', [event('content.msgtype', 'm.notice')], []),
        rule(
          '.m.rule.invite_for_me',
          [event('type', 'm.room.member'), event('content.membership', 'invite'), event('state_key', userId)],
          ['notify', { set_tweak: 'sound', value: 'default' }],
        ),
        rule('.m.rule.member_event', [event('type', 'm.room.member')], []),
        rule('.m.rule.is_user_mention', [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }], notifyHighlight),
        rule(
          '.m.rule.is_room_mention',
          [{ kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true }, { kind: 'sender_notification_permission', key: 'room' }],
          ['notify', { set_tweak: 'highlight' }],
        ),
        rule('.m.rule.tombstone', [event('type', 'm.room.tombstone'), event('state_key', '')], ['notify', { set_tweak: 'highlight' }]),
        rule('.m.rule.reaction', [event('type', 'm.reaction')], []),
        rule('.m.rule.room.server_acl', [event('type', 'm.room.server_acl'), event('state_key', '')], []),
        rule('.m.rule.suppress_edits', [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }], []),
      ],
      content: [],
      room: [],
      sender: [],
      underride: [
        rule('.m.rule.call', [event('type', 'm.call.invite')], ['notify', { set_tweak: 'sound', value: 'ring' }]),
        rule('.m.rule.encrypted_room_one_to_one', [{ kind: 'room_member_count', is: '2' }, event('type', 'm.room.encrypted')], notifyDefault),
        rule('.m.rule.room_one_to_one', [{ kind: 'room_member_count', is: '2' }, event('type', 'm.room.message')], notifyDefault),
        rule('.m.rule.message', [event('type', 'm.room.message')], ['notify']),
        rule('.m.rule.encrypted', [event('type', 'm.room.encrypted')], ['notify']),
      ],
    },
  };
}
