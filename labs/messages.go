package labs

import (
	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// messages are the texts grading writes for people, in every language (Rendered.Options.Lang
// picks one). The policy engine's own reasons and causes stay English: they are assembled from
// many pieces with the real names in them; the cause summaries below give each cause code in
// the learner's language.
var messages = lang.Catalog{
	"problem.elsewhere": {
		En: "%s has no metadata.namespace, so it is graded in namespace %s, where kubectl apply would put it (the current namespace); that is not a namespace of this lab (%s), so it isolates nothing here",
		Ko: "%[1]s에는 metadata.namespace가 없어서, kubectl apply가 넣을 곳인 현재 네임스페이스 %[2]s에서 채점했습니다. 이 네임스페이스는 이 실습의 네임스페이스(%[3]s)가 아니므로, 이 정책은 여기서 아무것도 격리하지 않습니다",
		Ja: "%[1]s には metadata.namespace がないため、kubectl apply が置く場所である現在の Namespace %[2]s で採点しました。これはこのラボの Namespace（%[3]s）ではないので、このポリシーはここでは何も分離しません",
	},
	"problem.elsewhere.fix": {
		En: "Set metadata.namespace to the lab namespace it is meant for (one of %s), or apply it with -n",
		Ko: "metadata.namespace를 이 정책이 원래 가야 할 실습 네임스페이스(%s 중 하나)로 지정하거나, -n을 붙여 적용하세요",
		Ja: "metadata.namespace に、このポリシーを置くつもりのラボの Namespace（%s のいずれか）を指定するか、-n を付けて適用してください",
	},
	"problem.invalid": {
		En: "the API server would refuse %s (kubectl apply fails), so none of it would be enforced: %s",
		Ko: "API 서버가 %[1]s 정책을 거부하므로(kubectl apply 실패) 그 내용은 전혀 적용되지 않습니다: %[2]s",
		Ja: "API サーバーは %[1]s を拒否するため（kubectl apply が失敗します）、その内容は何も適用されません: %[2]s",
	},
	"problem.invalid.fix": {
		En: "Fix the fields named; kubectl apply --dry-run=server -f FILE shows the API server's verdict",
		Ko: "지적된 필드를 고치세요. kubectl apply --dry-run=server -f FILE로 API 서버의 판정을 미리 볼 수 있습니다",
		Ja: "指摘されたフィールドを直してください。kubectl apply --dry-run=server -f FILE で API サーバーの判定を確認できます",
	},
}

// causeSummaries say in one line, per cause code, what the mistake is: the hint's headline in
// the learner's language, above the engine's detailed (English) message.
var causeSummaries = lang.Catalog{
	policy.CauseNamespaceLabels: {
		En: "a namespaceSelector does not match the labels the namespace really carries",
		Ko: "namespaceSelector가 네임스페이스에 실제로 붙은 레이블과 일치하지 않습니다",
		Ja: "namespaceSelector が、Namespace に実際に付いているラベルと一致していません",
	},
	policy.CausePodSelectorOnly: {
		En: "a podSelector without a namespaceSelector selects pods of the policy's own namespace only",
		Ko: "namespaceSelector 없이 쓴 podSelector는 정책이 속한 네임스페이스의 파드만 선택합니다",
		Ja: "namespaceSelector のない podSelector は、ポリシー自身の Namespace の Pod しか選択しません",
	},
	policy.CauseEmptyPodSelector: {
		En: "a peer with podSelector: {} alone is every pod of the policy's own namespace, not of every namespace",
		Ko: "podSelector: {}만 있는 peer는 모든 네임스페이스가 아니라 정책이 속한 네임스페이스의 모든 파드를 뜻합니다",
		Ja: "podSelector: {} だけの peer は、すべての Namespace ではなく、ポリシー自身の Namespace のすべての Pod を意味します",
	},
	policy.CausePodLabels: {
		En: "a podSelector does not match the labels the pod really carries",
		Ko: "podSelector가 파드에 실제로 붙은 레이블과 일치하지 않습니다",
		Ja: "podSelector が、Pod に実際に付いているラベルと一致していません",
	},
	policy.CausePort: {
		En: "the rule admits other ports than this one",
		Ko: "규칙이 허용하는 포트가 이 포트와 다릅니다",
		Ja: "ルールが許可しているのは、このポートとは別のポートです",
	},
	policy.CauseProtocol: {
		En: "the rule admits this port on another protocol (TCP, UDP, SCTP)",
		Ko: "규칙이 이 포트를 다른 프로토콜(TCP, UDP, SCTP)로 허용합니다",
		Ja: "ルールはこのポートを別のプロトコル（TCP、UDP、SCTP）で許可しています",
	},
	policy.CauseNamedPort: {
		En: "the rule names a port that the destination pod's containers do not declare",
		Ko: "규칙이 이름으로 가리킨 포트를 목적지 파드의 컨테이너가 선언하지 않았습니다",
		Ja: "ルールが名前で指定したポートを、宛先 Pod のコンテナが宣言していません",
	},
	policy.CauseIPBlock: {
		En: "the address is outside the ipBlock's cidr, or inside one of its except ranges",
		Ko: "주소가 ipBlock의 cidr 밖에 있거나 except 범위 안에 있습니다",
		Ja: "アドレスが ipBlock の cidr の外にあるか、except の範囲内にあります",
	},
	policy.CauseIPBlockForPod: {
		En: "an ipBlock is meant to match a pod: select pods with selectors, not by address",
		Ko: "ipBlock으로 파드를 맞추려 하고 있습니다. 파드는 주소가 아니라 셀렉터로 선택하세요",
		Ja: "ipBlock で Pod を指定しようとしています。Pod はアドレスではなくセレクターで選択します",
	},
	policy.CauseSelectorForIP: {
		En: "a selector is meant to match an address outside the cluster: only an ipBlock can",
		Ko: "셀렉터로 클러스터 밖 주소를 맞추려 하고 있습니다. 그것은 ipBlock만 할 수 있습니다",
		Ja: "クラスター外のアドレスをセレクターで指定しようとしています。それができるのは ipBlock だけです",
	},
	policy.CauseEgressIsolated: {
		En: "the policy isolates egress where the lab asks for ingress only: remove Egress from policyTypes",
		Ko: "이 실습은 ingress만 다루는데 정책이 egress까지 격리합니다. policyTypes에서 Egress를 빼세요",
		Ja: "このラボで制御するのは ingress だけなのに、ポリシーが egress まで分離しています。policyTypes から Egress を外してください",
	},
	policy.CauseNoDNSRule: {
		En: "the pod's egress is isolated and no rule allows DNS (UDP and TCP 53 to kube-dns)",
		Ko: "파드의 egress가 격리되어 있는데 DNS(kube-dns로 가는 UDP와 TCP 53)를 허용하는 규칙이 없습니다",
		Ja: "Pod の egress が分離されているのに、DNS（kube-dns への UDP と TCP 53）を許可するルールがありません",
	},
	policy.CauseNoRule: {
		En: "this side is isolated and no rule comes near: the fix is the rule to add",
		Ko: "이쪽은 격리되어 있고 비슷한 규칙조차 없습니다. 필요한 규칙을 추가하세요",
		Ja: "こちら側は分離されていて、近いルールすらありません。必要なルールを追加してください",
	},
	policy.CausePolicySelectsNone: {
		En: "the policy that would decide this selects no pod at all",
		Ko: "이 연결을 결정할 정책이 파드를 하나도 선택하지 않습니다",
		Ja: "この接続を決めるはずのポリシーが、Pod を 1 つも選択していません",
	},
	policy.CausePolicyMisses: {
		En: "the policy that would decide this selects other pods, not this one",
		Ko: "이 연결을 결정할 정책이 이 파드가 아닌 다른 파드를 선택합니다",
		Ja: "この接続を決めるはずのポリシーが、この Pod ではなく別の Pod を選択しています",
	},
	policy.CausePolicyElsewhere: {
		En: "the policy meant for this pod is in another namespace: a policy acts on pods of its own namespace only",
		Ko: "이 파드를 위한 정책이 다른 네임스페이스에 있습니다. 정책은 자기 네임스페이스의 파드에만 적용됩니다",
		Ja: "この Pod 向けのポリシーが別の Namespace にあります。ポリシーは自分の Namespace の Pod にしか作用しません",
	},
	policy.CauseRuleAdmits: {
		En: "a rule admits this connection (a selector or a port list broader than meant)",
		Ko: "어떤 규칙이 이 연결을 허용합니다(의도보다 넓은 셀렉터나 포트 목록)",
		Ja: "あるルールがこの接続を許可しています（意図より広いセレクターやポートの指定）",
	},
	policy.CauseSplitPeers: {
		En: "two peers (OR) where one peer with both selectors (AND) was meant",
		Ko: "두 셀렉터를 한 peer에 넣어 AND로 묶으려던 것이 두 peer로 나뉘어 OR로 묶였습니다",
		Ja: "両方のセレクターを 1 つの peer に入れて AND にするつもりが、2 つの peer に分かれて OR になっています",
	},
	policy.CauseNotIsolated: {
		En: "no policy isolates either end, so nothing restricts this connection",
		Ko: "양쪽 어디에도 격리하는 정책이 없어서 이 연결을 막는 것이 없습니다",
		Ja: "どちらの端も分離するポリシーがないため、この接続を制限するものがありません",
	},
	policy.CausePolicyTypeMissing: {
		En: "the policy has rules for a direction that its policyTypes leaves out, so they are ignored",
		Ko: "정책에 있는 규칙의 방향이 policyTypes에서 빠져 있어서 그 규칙들은 무시됩니다",
		Ja: "ポリシーにはある方向のルールがあるのに、その方向が policyTypes に含まれていないため、ルールは無視されます",
	},
	policy.CauseLoopback: {
		En: "a pod's connection to itself: no NetworkPolicy can block it",
		Ko: "파드가 자기 자신에게 하는 연결입니다. 어떤 NetworkPolicy로도 막을 수 없습니다",
		Ja: "Pod から自分自身への接続です。NetworkPolicy では遮断できません",
	},
	CauseInvalidPolicy: {
		En: "the API server would refuse the policy, so none of it is enforced",
		Ko: "API 서버가 정책을 거부하므로 그 내용은 전혀 적용되지 않습니다",
		Ja: "API サーバーがポリシーを拒否するため、その内容は何も適用されません",
	},
}

// CauseSummary says in one line, in l, what the mistake a cause code names is; "" for a code
// it does not know.
func CauseSummary(l lang.Lang, code string) string {
	if _, ok := causeSummaries[code]; !ok {
		return ""
	}
	return causeSummaries.T(l, code)
}
