package plugin

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
)

// texts are the lab commands' words for people in every language: lab show's headings, the
// lab up summary, lab check's verdict lines and labels. Lab texts themselves live with each
// lab (labs/catalog/LAB/texts/LANG.yaml); column headers, PASS/FAIL, ok/WRONG and REFUSED stay
// as they are in every language (scripts read them, as they read kubectl's).
var texts = lang.Catalog{
	"allowed": {En: "allowed", Ko: "허용", Ja: "許可"},
	"blocked": {En: "blocked", Ko: "차단", Ja: "遮断"},

	"level.beginner":     {En: "beginner", Ko: "초급", Ja: "初級"},
	"level.intermediate": {En: "intermediate", Ko: "중급", Ja: "中級"},
	"level.advanced":     {En: "advanced", Ko: "고급", Ja: "上級"},

	// lab show (and the lab up summary)
	"show.variant": {
		En: "Variant %d: the same lesson under other names and ports (lab check and lab down follow it).",
		Ko: "변형 %d: 같은 내용을 다른 이름과 포트로 바꾼 실습입니다 (lab check와 lab down도 이를 따릅니다).",
		Ja: "バリエーション %d: 同じ内容を別の名前とポートにしたラボです（lab check と lab down もこれに従います）。",
	},
	"show.meta": {En: "Level: %s   Topics: %s   Namespaces: %s", Ko: "난이도: %s   주제: %s   네임스페이스: %s", Ja: "レベル: %s   トピック: %s   Namespace: %s"},
	"show.exam": {
		En: "Exam domain: Services & Networking (CKA: define and enforce network policies; CKAD: NetworkPolicies)",
		Ko: "시험 영역: Services & Networking (CKA: 네트워크 정책 정의 및 적용, CKAD: NetworkPolicies)",
		Ja: "試験範囲: Services & Networking（CKA: ネットワークポリシーの定義と適用、CKAD: NetworkPolicies）",
	},
	"show.task":  {En: "Task", Ko: "과제", Ja: "課題"},
	"show.steps": {En: "Steps", Ko: "단계", Ja: "手順"},
	"show.hints": {En: "Hints", Ko: "힌트", Ja: "ヒント"},
	"show.goal":  {En: "Goal", Ko: "목표", Ja: "目標"},
	"show.stuck": {En: "Stuck? %s", Ko: "막혔다면: %s", Ja: "行き詰まったら: %s"},
	"solution.header": {
		En: "# Solution of lab %s. What these policies give, by kubectl-netpol's evaluator:",
		Ko: "# %s 실습의 정답입니다. kubectl-netpol 평가기로 계산한 이 정책들의 결과:",
		Ja: "# ラボ %s の解答です。kubectl-netpol の評価器で計算した、これらのポリシーの結果:",
	},

	// lab list, progress and next: the learner's record
	"progress.passed":     {En: "passed", Ko: "통과", Ja: "合格"},
	"progress.tried":      {En: "tried %d times", Ko: "%d회 시도", Ja: "%d 回挑戦"},
	"progress.tried.once": {En: "tried once", Ko: "1회 시도", Ja: "1 回挑戦"},
	"progress.new":        {En: "new", Ko: "새 실습", Ja: "未挑戦"},
	"progress.all-topics": {
		En: "Every topic is covered by a lab you passed.",
		Ko: "모든 주제를 통과한 실습으로 다루었습니다.",
		Ja: "すべてのトピックを、合格したラボでカバーしました。",
	},
	"progress.topics-left": {
		En: "Topics no passed lab covers yet: %s",
		Ko: "아직 통과한 실습이 없는 주제: %s",
		Ja: "まだ合格したラボがないトピック: %s",
	},
	"progress.next": {En: "What to do next: %s", Ko: "다음에 할 실습: %s", Ja: "次にやるラボ: %s"},
	"next.all-passed": {
		En: "You have passed every lab. Run one again with another namespace suffix, or read a solution you did not need: kubectl netpol lab show LAB --solution",
		Ko: "모든 실습을 통과했습니다. 다른 네임스페이스 접미사로 다시 해 보거나, 보지 않고 푼 실습의 정답을 읽어 보세요: kubectl netpol lab show LAB --solution",
		Ja: "すべてのラボに合格しました。別の Namespace 接尾辞でもう一度解くか、見ずに解いたラボの解答を読んでみましょう: kubectl netpol lab show LAB --solution",
	},
	"next.why.topics": {
		En: "Why: the easiest lab you have not passed (%s) that teaches a topic no passed lab covers: %s.",
		Ko: "이유: 아직 통과하지 않은 실습 중 가장 쉬운 것(%s)으로, 통과한 실습이 다루지 않은 주제를 배웁니다: %s.",
		Ja: "理由: まだ合格していないラボのうち最もやさしいもの（%s）で、合格したラボにないトピックを学べます: %s。",
	},
	"next.why.tried-topics": {
		En: "Why: the easiest lab you have not passed (%s; tried %d times) that teaches a topic no passed lab covers: %s.",
		Ko: "이유: 아직 통과하지 않은 실습 중 가장 쉬운 것(%s, %d회 시도)으로, 통과한 실습이 다루지 않은 주제를 배웁니다: %s.",
		Ja: "理由: まだ合格していないラボのうち最もやさしいもの（%s、%d 回挑戦）で、合格したラボにないトピックを学べます: %s。",
	},
	"next.why.level": {
		En: "Why: the easiest lab you have not passed (%s); its topics are covered by labs you passed, so it is practice.",
		Ko: "이유: 아직 통과하지 않은 실습 중 가장 쉬운 것(%s)입니다. 주제는 이미 통과한 실습에서 다루었으니 복습이 됩니다.",
		Ja: "理由: まだ合格していないラボのうち最もやさしいもの（%s）です。トピックは合格済みのラボで学んだので、復習になります。",
	},
	"next.start": {
		En: "Start it: %s   (read the task first: %s)",
		Ko: "시작하기: %s   (먼저 과제 읽기: %s)",
		Ja: "開始: %s   （先に課題を読む: %s）",
	},

	// diff's text, and lab check --diff
	"check.diff": {
		En: "What your policies change, against the lab's setup alone",
		Ko: "작성한 정책이 실습 설정만 있을 때와 비교해 바꾸는 것",
		Ja: "あなたのポリシーが、ラボの準備だけの状態と比べて変えるもの",
	},
	"diff.before":      {En: "before:", Ko: "이전:", Ja: "変更前:"},
	"diff.after":       {En: "after:", Ko: "이후:", Ja: "変更後:"},
	"diff.inputs":      {En: "Changed in the inputs:", Ko: "입력에서 바뀐 것:", Ja: "入力で変わったもの:"},
	"diff.one-side":    {En: "(on one side only: its connections are not compared)", Ko: "(한쪽에만 있어서 연결은 비교하지 않습니다)", Ja: "（片方にしかないので、接続は比較しません）"},
	"diff.connections": {En: "(%d connections)", Ko: "(연결 %d개)", Ja: "（接続 %d 件）"},
	"diff.goal-wants":  {En: "<- the goal wants it %s", Ko: "<- 목표는 %s", Ja: "<- 目標は%s"},
	"diff.none": {
		En: "No changes: the same objects, the same connections.",
		Ko: "바뀐 것이 없습니다: 오브젝트도 연결도 같습니다.",
		Ja: "変更はありません: オブジェクトも接続も同じです。",
	},
	"diff.summary": {
		En: "%d connection(s) opened, %d closed; %d pod(s) added, %d removed; %d change(s) in the inputs",
		Ko: "연결 %d개 열림, %d개 닫힘, 파드 %d개 추가, %d개 제거, 입력 변경 %d건",
		Ja: "接続 %d 件が開き、%d 件が閉じ、Pod %d 個が追加、%d 個が削除、入力の変更 %d 件",
	},

	// lab check -o html: the page's words
	"page.title": {En: "Lab %s: %s", Ko: "%s 실습: %s", Ja: "ラボ %s: %s"},
	"page.score": {En: "Goal rows right, by the policies: %s.", Ko: "정책 기준으로 맞은 목표 행: %s.", Ja: "ポリシーで正解の目標行: %s。"},
	"page.graph-note": {
		En: "Arrows: what the policies allow between the lab's pods on the goal's ports. A dotted orange arrow is a goal row your policies block; a thick red one, a goal row they allow. Click one for the hints.",
		Ko: "화살표는 목표의 포트에서 정책이 실습 파드 사이에 허용하는 연결입니다. 주황색 점선은 정책이 막고 있는 목표 행, 굵은 빨간 선은 정책이 허용해 버린 목표 행입니다. 누르면 힌트가 보입니다.",
		Ja: "矢印は、目標のポートでポリシーがラボの Pod 間に許可している接続です。オレンジの点線はポリシーが遮断している目標行、太い赤線はポリシーが許可してしまっている目標行です。クリックするとヒントが表示されます。",
	},
	"page.probes":     {En: "Probes: %s.", Ko: "프로브: %s.", Ja: "プローブ: %s。"},
	"page.your-files": {En: "Your files: %s", Ko: "작성한 파일: %s", Ja: "あなたのファイル: %s"},
	"page.files": {
		En: "Graded from your files on top of the lab's setup (no cluster, no probes).",
		Ko: "실습 설정 위에 올린 파일로 채점했습니다 (클러스터도 프로브도 없음).",
		Ja: "ラボの準備の上にあなたのファイルを重ねて採点しました（クラスターもプローブもなし）。",
	},
	"page.detail.title": {En: "%s → %s on %d/%s", Ko: "%s → %s, 포트 %d/%s", Ja: "%s → %s、ポート %d/%s"},
	"page.detail.head":  {En: "Goal: %s; your policies: %s", Ko: "목표: %s, 작성한 정책: %s", Ja: "目標: %s、あなたのポリシー: %s"},
	"page.port":         {En: "Port", Ko: "포트", Ja: "ポート"},
	"page.all-ports":    {En: "all ports", Ko: "모든 포트", Ja: "すべてのポート"},
	"page.show-blocked": {En: "show blocked connections", Ko: "차단된 연결도 보기", Ja: "遮断された接続も表示"},
	"page.not-shown":    {En: "Not shown", Ko: "표시하지 않은 것", Ja: "表示していないもの"},
	"page.graph":        {En: "Graph", Ko: "그래프", Ja: "グラフ"},
	"page.details":      {En: "Details", Ko: "자세히", Ja: "詳細"},
	"page.click": {
		En: "Click an arrow, a pod or a cell to see why it is allowed or blocked.",
		Ko: "화살표나 파드, 칸을 누르면 왜 허용 또는 차단되는지 보입니다.",
		Ja: "矢印、Pod、セルをクリックすると、許可または遮断される理由が表示されます。",
	},
	"page.truth":      {En: "Truth table", Ko: "진리표", Ja: "真理値表"},
	"page.truth-note": {En: "Rows are the sources, columns the destinations:", Ko: "행은 출발지, 열은 목적지입니다:", Ja: "行が送信元、列が宛先です:"},
	"page.footer": {
		En: "Made by kubectl-netpol. This page loads nothing: everything it shows is in this file.",
		Ko: "kubectl-netpol이 만든 페이지입니다. 아무것도 불러오지 않으며, 보이는 모든 내용이 이 파일 안에 있습니다.",
		Ja: "kubectl-netpol が作成したページです。何も読み込まず、表示される内容はすべてこのファイルの中にあります。",
	},
	"page.kind.missing":  {En: "missing", Ko: "빠짐", Ja: "不足"},
	"page.kind.unwanted": {En: "unwanted", Ko: "원치 않음", Ja: "不要"},

	// the errors learners meet most (learnerMessage)
	"error.unknown-lab":  {En: "no lab named %q", Ko: "%q라는 실습은 없습니다", Ja: "%q という名前のラボはありません"},
	"error.or":           {En: " or ", Ko: " 또는 ", Ja: " または "},
	"error.did-you-mean": {En: "; did you mean %s?", Ko: ". 혹시 %s인가요?", Ja: "。もしかして %s ですか？"},
	"error.lab-list": {
		En: " ('kubectl netpol lab list' shows them all)",
		Ko: " ('kubectl netpol lab list'로 전체 목록을 볼 수 있습니다)",
		Ja: "（「kubectl netpol lab list」ですべて表示します）",
	},
	"error.port": {
		En: "--port: port %q: want a number from 1 to 65535, optionally with /TCP, /UDP or /SCTP",
		Ko: "--port: 포트 %q: 1부터 65535까지의 숫자를 쓰세요. 뒤에 /TCP, /UDP, /SCTP를 붙일 수 있습니다",
		Ja: "--port: ポート %q: 1 から 65535 までの数を指定してください。/TCP、/UDP、/SCTP を付けることもできます",
	},
	"error.port-protocol": {
		En: "--port: port %q: protocol must be TCP, UDP or SCTP",
		Ko: "--port: 포트 %q: 프로토콜은 TCP, UDP, SCTP 중 하나여야 합니다",
		Ja: "--port: ポート %q: プロトコルは TCP、UDP、SCTP のいずれかです",
	},

	// lab status and lab down
	"status.not-up": {
		En: "Lab %s is not up. Start it with '%s'.",
		Ko: "%s 실습 환경이 없습니다. '%s' 명령으로 시작하세요.",
		Ja: "ラボ %s は起動していません。「%s」で起動します。",
	},
	"status.none": {
		En: "No lab is up. 'kubectl netpol lab list' shows the labs.",
		Ko: "실행 중인 실습이 없습니다. 'kubectl netpol lab list'로 실습 목록을 볼 수 있습니다.",
		Ja: "起動中のラボはありません。「kubectl netpol lab list」でラボの一覧を表示します。",
	},
	"status.nothing":       {En: "none", Ko: "없음", Ja: "なし"},
	"status.services":      {En: "Services: %s", Ko: "서비스: %s", Ja: "サービス: %s"},
	"status.lab-policies":  {En: "Lab policies: %s", Ko: "실습이 만든 정책: %s", Ja: "ラボのポリシー: %s"},
	"status.your-policies": {En: "Your policies: %s", Ko: "직접 만든 정책: %s", Ja: "あなたのポリシー: %s"},
	"down.progress":        {En: "deleting lab %s", Ko: "%s 실습 환경을 삭제하는 중", Ja: "ラボ %s を削除中"},
	"down.nothing": {
		En: "Lab %s is not up; nothing to delete.",
		Ko: "%s 실습 환경이 없어서 삭제할 것이 없습니다.",
		Ja: "ラボ %s は起動していないので、削除するものはありません。",
	},
	"down.foreign": {
		En: "it holds objects kubectl-netpol did not create (%s)",
		Ko: "kubectl-netpol이 만들지 않은 오브젝트가 있습니다 (%s)",
		Ja: "kubectl-netpol が作成していないオブジェクトがあります（%s）",
	},
	"down.unverified": {
		En: "could not verify it is empty (%s)",
		Ko: "비어 있는지 확인할 수 없었습니다 (%s)",
		Ja: "空であることを確認できませんでした（%s）",
	},
	"down.and": {En: "; and ", Ko: ". 그리고 ", Ja: "。また、"},
	"down.kept": {
		En: "namespace/%s kept: %s; the lab's objects in it were deleted. Delete the namespace yourself if what is left can go: %s",
		Ko: "namespace/%s 유지: %s. 그 안의 실습 오브젝트는 삭제했습니다. 남은 것을 지워도 된다면 네임스페이스를 직접 삭제하세요: %s",
		Ja: "namespace/%s は残しました: %s。中のラボのオブジェクトは削除しました。残りを消してよければ、Namespace を自分で削除してください: %s",
	},

	// exam
	"exam.already": {
		En: "an exam is open (started %s, %d tasks): 'kubectl netpol exam submit' grades it, 'kubectl netpol exam end' removes it",
		Ko: "이미 열린 시험이 있습니다 (%s 시작, 과제 %d개): 'kubectl netpol exam submit'으로 채점하고 'kubectl netpol exam end'로 정리하세요",
		Ja: "開いている試験があります（%s 開始、課題 %d 個）: 「kubectl netpol exam submit」で採点し、「kubectl netpol exam end」で片付けます",
	},
	"exam.none.end":     {En: "No exam to end.", Ko: "끝낼 시험이 없습니다.", Ja: "終了する試験はありません。"},
	"exam.history.none": {En: "No exam submitted yet. 'kubectl netpol exam start' starts one.", Ko: "아직 제출한 시험이 없습니다. 'kubectl netpol exam start'로 시작하세요.", Ja: "提出した試験はまだありません。「kubectl netpol exam start」で始めます。"},
	"exam.progress":     {En: "setting up task %d of %d", Ko: "과제 %d/%d 준비 중", Ja: "課題 %d/%d を準備中"},
	"exam.started": {
		En: "The exam has begun: %d tasks, %s, until %s (seed %d). Hints and solutions are closed until 'kubectl netpol exam submit'.",
		Ko: "시험이 시작되었습니다: 과제 %d개, %s, %s까지 (시드 %d). 'kubectl netpol exam submit' 전까지 힌트와 정답은 볼 수 없습니다.",
		Ja: "試験が始まりました: 課題 %d 個、%s、%s まで（シード %d）。「kubectl netpol exam submit」まで、ヒントと解答は見られません。",
	},
	"exam.task": {En: "Task %d (%d%%): %s", Ko: "과제 %d (%d%%): %s", Ja: "課題 %d（%d%%）: %s"},
	"exam.task.where": {
		En: "In namespace(s) %s, create the NetworkPolicies that make every connection below as the table says.",
		Ko: "네임스페이스 %s에서, 아래 표의 모든 연결이 표에 적힌 대로 되도록 NetworkPolicy를 만드세요.",
		Ja: "Namespace %s で、下の表のすべての接続が表のとおりになるよう NetworkPolicy を作成してください。",
	},
	"exam.none": {
		En: "no exam is open: 'kubectl netpol exam start' starts one",
		Ko: "열린 시험이 없습니다: 'kubectl netpol exam start'로 시작하세요",
		Ja: "開いている試験はありません: 「kubectl netpol exam start」で始めます",
	},
	"exam.not-started": {
		En: "the exam's tasks did not all come up: 'kubectl netpol exam end' removes them",
		Ko: "시험 과제가 모두 준비되지 않았습니다: 'kubectl netpol exam end'로 정리하세요",
		Ja: "試験の課題がすべては準備できませんでした: 「kubectl netpol exam end」で片付けます",
	},
	"exam.status.left": {En: "Time left: %s (until %s).", Ko: "남은 시간: %s (%s까지).", Ja: "残り時間: %s（%s まで）。"},
	"exam.status.over": {
		En: "Time is up, %s ago: 'kubectl netpol exam submit' still grades it, marked late.",
		Ko: "시간이 %s 지났습니다: 'kubectl netpol exam submit'으로 채점할 수 있지만 지각으로 표시됩니다.",
		Ja: "%s 前に時間切れです: 「kubectl netpol exam submit」で採点できますが、遅刻と記録されます。",
	},
	"exam.status.submitted": {
		En: "Submitted: %.0f%%. 'kubectl netpol exam review' shows hints and solutions; 'kubectl netpol exam end' removes the tasks.",
		Ko: "제출됨: %.0f%%. 'kubectl netpol exam review'로 힌트와 정답을 보고, 'kubectl netpol exam end'로 과제를 정리하세요.",
		Ja: "提出済み: %.0f%%。「kubectl netpol exam review」でヒントと解答を、「kubectl netpol exam end」で課題を片付けます。",
	},
	"exam.submitted-already": {
		En: "this exam was submitted already: 'kubectl netpol exam review' shows hints and solutions, 'kubectl netpol exam end' closes it",
		Ko: "이 시험은 이미 제출되었습니다: 'kubectl netpol exam review'로 힌트와 정답을 보고 'kubectl netpol exam end'로 닫으세요",
		Ja: "この試験は提出済みです: 「kubectl netpol exam review」でヒントと解答を見て、「kubectl netpol exam end」で閉じます",
	},
	"exam.closed": {
		En: "hints and solutions are closed while the exam runs: 'kubectl netpol exam submit' grades it first",
		Ko: "시험 중에는 힌트와 정답을 볼 수 없습니다: 먼저 'kubectl netpol exam submit'으로 채점하세요",
		Ja: "試験中はヒントと解答は見られません: まず「kubectl netpol exam submit」で採点します",
	},
	"exam.closed.check": {
		En: "lab %s is a task of the exam that runs: it is graded by 'kubectl netpol exam submit'",
		Ko: "%s 실습은 진행 중인 시험의 과제입니다: 'kubectl netpol exam submit'으로 채점됩니다",
		Ja: "ラボ %s は実施中の試験の課題です: 「kubectl netpol exam submit」で採点されます",
	},
	"exam.wrong.static": {
		En: "%s -> %s %d/%s: should be %s, your policies give %s",
		Ko: "%s -> %s %d/%s: %s이어야 하는데 정책 결과는 %s",
		Ja: "%s -> %s %d/%s: %s であるべきところ、ポリシーの結果は %s",
	},
	"exam.wrong.live": {
		En: "%s -> %s %d/%s: should be %s, the probe saw %s",
		Ko: "%s -> %s %d/%s: %s이어야 하는데 프로브 결과는 %s",
		Ja: "%s -> %s %d/%s: %s であるべきところ、プローブの結果は %s",
	},
	"exam.result.task": {
		En: "Task %d: %s (variant %d), %d%%: %s, %d/%d goal connections right",
		Ko: "과제 %d: %s (변형 %d), %d%%: %s, 목표 연결 %d/%d개 정답",
		Ja: "課題 %d: %s（バリエーション %d）、%d%%: %s、目標の接続 %d/%d 個が正解",
	},
	"exam.result": {
		En: "%s: %.0f%% (pass mark %.0f%%)",
		Ko: "%s: %.0f%% (합격선 %.0f%%)",
		Ja: "%s: %.0f%%（合格点 %.0f%%）",
	},
	"exam.late": {En: "(late: submitted after the deadline)", Ko: "(지각: 마감 후 제출)", Ja: "（遅刻: 締め切り後に提出）"},
	"exam.after": {
		En: "'kubectl netpol exam review' shows each task's hints and solution; 'kubectl netpol exam end' removes the tasks.",
		Ko: "'kubectl netpol exam review'로 과제별 힌트와 정답을 보고, 'kubectl netpol exam end'로 과제를 정리하세요.",
		Ja: "「kubectl netpol exam review」で各課題のヒントと解答を、「kubectl netpol exam end」で課題を片付けます。",
	},

	// lab up
	"up.progress": {En: "setting up lab %s", Ko: "%s 실습 환경을 만드는 중", Ja: "ラボ %s を準備中"},
	"up.pods":     {En: "%d/%d pods ready", Ko: "파드 %d/%d개 준비됨", Ja: "Pod %d/%d 個が準備完了"},
	"up.done":     {En: "Lab %s is up (%.1fs).", Ko: "%s 실습 환경이 준비되었습니다 (%.1f초).", Ja: "ラボ %s の準備ができました（%.1f秒）。"},
	"up.next": {
		En: "Next: write your policies, then '%s'. '%s' removes the lab.",
		Ko: "다음 단계: 정책을 작성하고 '%s' 명령으로 채점하세요. 실습 환경은 '%s' 명령으로 삭제할 수 있습니다.",
		Ja: "次は、ポリシーを書いてから「%s」で採点します。ラボを削除するには「%s」を実行します。",
	},

	// lab check
	"check.static.cluster": {
		En: "Static check: your policies in the lab's namespaces, through the evaluator",
		Ko: "정적 검사: 실습 네임스페이스에 있는 정책을 평가기로 확인",
		Ja: "静的チェック: ラボの Namespace にあるポリシーを評価器で確認",
	},
	"check.static.files": {
		En: "Static check: your files on top of the lab's setup, through the evaluator",
		Ko: "정적 검사: 실습 설정 위에 올린 파일을 평가기로 확인",
		Ja: "静的チェック: ラボのセットアップに重ねたファイルを評価器で確認",
	},
	"check.note": {En: "note", Ko: "참고", Ja: "注意"},
	"check.row": {
		En: "%s -> %s %d/%s: want %s, your policies give %s",
		Ko: "%s -> %s %d/%s: 목표는 %s, 작성한 정책으로는 %s",
		Ja: "%s -> %s %d/%s: 目標は%s、あなたのポリシーでは%s",
	},
	"label.why":  {En: "why:", Ko: "이유:", Ja: "理由:"},
	"label.hint": {En: "hint:", Ko: "힌트:", Ja: "ヒント:"},
	"label.also": {En: "also:", Ko: "추가:", Ja: "ほかに:"},
	"label.fix":  {En: "fix:", Ko: "수정:", Ja: "修正:"},
	"check.more": {En: "(%d more causes in -o yaml)", Ko: "(나머지 원인 %d개는 -o yaml로 볼 수 있습니다)", Ja: "（残りの原因 %d 件は -o yaml で確認できます）"},
	"check.live": {
		En: "Live check: probes from inside the source pods",
		Ko: "실제 확인: 출발지 파드 안에서 보낸 프로브",
		Ja: "ライブチェック: 送信元 Pod の中から送ったプローブ",
	},
	"check.ignored":    {En: "ignored: %s", Ko: "제외: %s", Ja: "対象外: %s"},
	"check.not-probed": {En: "not probed", Ko: "프로브 안 됨", Ja: "未実施"},
	"check.not-served": {En: "not served: cannot tell", Ko: "서비스하지 않는 포트: 판단 불가", Ja: "待ち受けなし: 判断不能"},
	"check.probes":     {En: "Probes: %s", Ko: "프로브: %s", Ja: "プローブ: %s"},
	"check.final.no-live": {
		En: "%s (static only): %s goal connections right; the live check could not run (see above), so nothing was observed",
		Ko: "%s (정적 검사만): 목표 연결 %s 정답. 실제 확인은 실행하지 못해(위 참고) 관찰된 것이 없습니다",
		Ja: "%s（静的チェックのみ）: 目標の接続 %s が正解。ライブチェックは実行できなかったため（上記参照）、何も観測されていません",
	},
	"check.final.some-failed": {
		En: "%s: %s goal connections right; %d of %d live probes could not run or could not tell (see above)",
		Ko: "%[1]s: 목표 연결 %[2]s 정답. 실제 확인 프로브 %[4]d개 중 %[3]d개는 실행하지 못했거나 판단할 수 없었습니다(위 참고)",
		Ja: "%[1]s: 目標の接続 %[2]s が正解。ライブプローブ %[4]d 件のうち %[3]d 件は実行できなかったか、判断できませんでした（上記参照）",
	},
	"check.final.disagree": {
		En: "%s: your policies are right (%s goal connections), but %d live probe(s) disagree with the goal",
		Ko: "%s: 작성한 정책은 맞지만(목표 연결 %s), 실제 확인 프로브 %d개가 목표와 다르게 나왔습니다",
		Ja: "%s: ポリシーは正しい（目標の接続 %s）のですが、ライブプローブ %d 件が目標と食い違っています",
	},
	"check.final.static": {En: "%s: %s goal connections right (static only)", Ko: "%s: 목표 연결 %s 정답 (정적 검사만)", Ja: "%s: 目標の接続 %s が正解（静的チェックのみ）"},
	"check.final":        {En: "%s: %s goal connections right", Ko: "%s: 목표 연결 %s 정답", Ja: "%s: 目標の接続 %s が正解"},
	"ignored.outside":    {En: "the source is outside the cluster", Ko: "출발지가 클러스터 밖에 있음", Ja: "送信元がクラスターの外にある"},
	"ignored.no-dns": {
		En: "the destination is not in the cluster (no kube-dns pods visible)",
		Ko: "목적지가 클러스터에 없음(kube-dns 파드가 보이지 않음)",
		Ja: "宛先がクラスター内にない（kube-dns の Pod が見えない）",
	},

	// the notes under the live probes (lab check and probe)
	"notes.none-ran":   {En: "No probe could run: %s", Ko: "프로브를 하나도 실행하지 못했습니다: %s", Ja: "プローブを 1 つも実行できませんでした: %s"},
	"notes.not-probed": {En: "  %s: not probed: %s", Ko: "  %s: 프로브 안 됨: %s", Ja: "  %s: 未実施: %s"},
	"notes.differs":    {En: "  %s: expected %s, observed %s (%s)", Ko: "  %s: 예상 %s, 관찰 %s (%s)", Ja: "  %s: 期待 %s、観測 %s（%s）"},
	"notes.header":     {En: "Differences and failures:", Ko: "차이와 실패:", Ja: "食い違いと失敗:"},
	"notes.leaked": {
		En: "%d connection(s) that the policies deny got through: the network plugin (CNI) is not enforcing NetworkPolicy here. Run 'kubectl netpol doctor' to see which CNI runs.",
		Ko: "정책이 거부하는 연결 %d개가 통과했습니다. 이 클러스터의 네트워크 플러그인(CNI)이 NetworkPolicy를 적용하지 않고 있습니다. 어떤 CNI가 실행 중인지 'kubectl netpol doctor'로 확인하세요.",
		Ja: "ポリシーが拒否する接続が %d 件通ってしまいました。このクラスターのネットワークプラグイン（CNI）は NetworkPolicy を適用していません。どの CNI が動いているかは「kubectl netpol doctor」で確認できます。",
	},
	"notes.dropped": {
		En: "%d connection(s) that the policies allow were blocked: something other than the policies stops them (the network plugin, a firewall, the node), or the destination did not answer.",
		Ko: "정책이 허용하는 연결 %d개가 막혔습니다. 정책이 아닌 다른 무언가(네트워크 플러그인, 방화벽, 노드)가 막고 있거나 목적지가 응답하지 않았습니다.",
		Ja: "ポリシーが許可している接続が %d 件遮断されました。ポリシー以外の何か（ネットワークプラグイン、ファイアウォール、ノード）が止めているか、宛先が応答しませんでした。",
	},
	"notes.not-served": {
		En: "%d probe(s) met a port nobody serves (the destination pod is refused on it too): they cannot tell allowed from blocked, and count neither as right nor as wrong. Serve the port, or probe one the pod listens on.",
		Ko: "프로브 %d개가 아무도 서비스하지 않는 포트에 닿았습니다(목적지 파드 자신도 그 포트에서 거부됨). 허용인지 차단인지 알 수 없으므로 정답도 오답도 아닌 것으로 셉니다. 그 포트를 열거나, 파드가 실제로 수신하는 포트로 확인하세요.",
		Ja: "%d 件のプローブが、誰も待ち受けていないポートに当たりました（宛先 Pod 自身もそのポートで拒否されます）。許可か遮断かは判断できないため、正解にも不正解にも数えません。そのポートで待ち受けるか、Pod が実際に待ち受けているポートで確認してください。",
	},
	"notes.refused": {
		En: "%d probe(s) were refused (a reset or an ICMP error, not silence) where nothing could check that the destination listens: a port nobody listens on and a network plugin that rejects (as kube-router does) look the same, so a refusal does not prove that a policy blocked the traffic.",
		Ko: "프로브 %d개가 거부되었지만(무응답이 아니라 리셋이나 ICMP 오류), 목적지가 그 포트에서 수신하는지는 확인할 수 없었습니다. 아무도 수신하지 않는 포트와 패킷을 거절하는 네트워크 플러그인(kube-router처럼)은 똑같이 보이므로, 거부되었다고 해서 정책이 트래픽을 막았다는 증거는 아닙니다.",
		Ja: "%d 件のプローブが拒否されましたが（無応答ではなくリセットや ICMP エラー）、宛先がそのポートで待ち受けているかは確認できませんでした。誰も待ち受けていないポートと、パケットを拒否するネットワークプラグイン（kube-router など）は同じに見えるため、拒否されたからといってポリシーが通信を遮断した証拠にはなりません。",
	},
	"notes.row.not-served": {En: "  %s: not served: cannot tell (%s)", Ko: "  %s: 서비스하지 않는 포트: 판단할 수 없음 (%s)", Ja: "  %s: 待ち受けなし: 判断できません（%s）"},
	"notes.row.against-policies": {
		En: "  %s: observed %s, but the policies give %s",
		Ko: "  %s: 관찰 결과는 %s, 그러나 정책으로는 %s",
		Ja: "  %s: 観測は %s、しかしポリシーでは%s",
	},
	"blame.policies": {
		En: "the policies give the same: the cause is in them (see the static check's hint above)",
		Ko: "정책으로도 같은 결과가 나옵니다. 원인은 정책에 있습니다(위 정적 검사의 힌트 참고)",
		Ja: "ポリシーでも同じ結果になります。原因はポリシーにあります（上の静的チェックのヒントを参照）",
	},
	"blame.not-enforced": {
		En: "the policies deny it: the network does not enforce them",
		Ko: "정책은 이 연결을 거부합니다. 네트워크가 정책을 적용하지 않고 있습니다",
		Ja: "ポリシーはこの接続を拒否しています。ネットワークがポリシーを適用していません",
	},
	"blame.dropped": {
		En: "the policies allow it: something else blocks it",
		Ko: "정책은 이 연결을 허용합니다. 다른 무언가가 막고 있습니다",
		Ja: "ポリシーはこの接続を許可しています。別の何かが遮断しています",
	},
	"summary": {
		En: "%d correct, %d wrong, %s%d ignored of %d",
		Ko: "일치 %d, 불일치 %d, %s제외 %d (전체 %d)",
		Ja: "一致 %d、不一致 %d、%s対象外 %d（全 %d 件）",
	},
	"summary.failed":     {En: "%d failed, ", Ko: "실행 실패 %d, ", Ja: "実行失敗 %d、"},
	"summary.not-served": {En: "%d not served (cannot tell), ", Ko: "판단 불가(서비스 없는 포트) %d, ", Ja: "判断不能（待ち受けなし）%d、"},
}

// verdictIn is "allowed" or "blocked" in l.
func verdictIn(l lang.Lang, allowed bool) string {
	if allowed {
		return texts.T(l, "allowed")
	}
	return texts.T(l, "blocked")
}

// levelIn is a lab's level as people read it in l; JSON and YAML keep the English value.
func levelIn(l lang.Lang, level string) string {
	if _, ok := texts["level."+level]; !ok {
		return level
	}
	return texts.T(l, "level."+level)
}

// lineLabels pads lab check's line labels (why, hint, also, fix) to one width in l, so that what
// follows them starts in one column; English gives "why:  ", "hint: ", "also: ", "fix:  ".
func lineLabels(l lang.Lang) map[string]string {
	keys := []string{"why", "hint", "also", "fix"}
	w := 0
	for _, k := range keys {
		w = max(w, render.DisplayWidth(texts.T(l, "label."+k)))
	}
	out := map[string]string{}
	for _, k := range keys {
		out[k] = render.PadRight(texts.T(l, "label."+k), w+1)
	}
	return out
}

// getenv reads the locale variables; tests run the plugin in-process and set them with
// t.Setenv.
var getenv = os.Getenv

// langFlag is --lang, on the lab commands that print texts for people.
type langFlag struct{ value string }

func (f *langFlag) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.value, "lang", "", "Language of the lab's texts, hints and verdicts: en, ko or ja (default: from LANGUAGE, LC_ALL, LC_MESSAGES or LANG, as gettext reads them, else en)")
	_ = cmd.RegisterFlagCompletionFunc("lang", cobra.FixedCompletions(lang.Names(), cobra.ShellCompDirectiveNoFileComp))
}

// langOf is the language a command speaks, as its --lang (if it has one) and the environment
// say; nil cmd or no flag: the environment's.
func langOf(cmd *cobra.Command) (lang.Lang, error) {
	var f langFlag
	if cmd != nil {
		if flag := cmd.Flags().Lookup("lang"); flag != nil {
			f.value = flag.Value.String()
		}
	}
	return f.resolve()
}

// resolve picks the language: --lang, else the locale environment, else English. An unknown
// --lang is bad usage.
func (f *langFlag) resolve() (lang.Lang, error) {
	if f.value == "" {
		return lang.FromEnv(getenv), nil
	}
	l, err := lang.Parse(f.value)
	if err != nil {
		return "", usageErrorf("--lang: %v", err)
	}
	return l, nil
}

// again is what a command suggested to run next must add to speak the same language: --lang
// when it was given, nothing when the environment decided.
func (f *langFlag) again() string {
	if f.value == "" {
		return ""
	}
	return " --lang " + f.value
}
