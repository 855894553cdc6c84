#include "i18n.h"

#include <string.h>

static const char *const text[M_COUNT][LANG_COUNT] = {
	[M_TITLE] = {"canvass: your returns", "canvass : vos réponses"},
	[M_RETURNS] = {"Your returns", "Vos réponses"},
	[M_QUESTIONNAIRE] = {"Questionnaire", "Questionnaire"},
	[M_CYCLE] = {"Cycle", "Cycle"},
	[M_DUE] = {"Due", "Échéance"},
	[M_STATE] = {"State", "État"},
	[M_OPEN_QUERIES] = {"Open queries", "Questions ouvertes"},
	[M_ACTION] = {"Action", "Action"},
	[M_NOT_STARTED] = {"not started", "non commencée"},
	[M_DRAFT] = {"draft saved", "brouillon enregistré"},
	[M_SUBMITTED] = {"submitted, revision", "envoyée, révision"},
	[M_QUERIED] = {"queried by the Secretariat", "question du Secrétariat"},
	[M_APPROVED] = {"approved and locked", "approuvée et verrouillée"},
	[M_LATE] = {"late", "en retard"},
	[M_FILL_IN] = {"Fill in", "Remplir"},
	[M_REVISE] = {"Revise", "Réviser"},
	[M_VIEW] = {"View", "Consulter"},
	[M_NO_OPEN_CYCLE] = {"No cycle is open now.", "Aucun cycle n'est ouvert."},
	[M_SAVE] = {"Save draft", "Enregistrer le brouillon"},
	[M_CHECK] = {"Check", "Vérifier"},
	[M_UPDATE] = {"Update the form", "Mettre à jour le formulaire"},
	[M_REVIEW_SEND] = {"Review and send", "Relire et envoyer"},
	[M_SEND] = {"Send to the Secretariat", "Envoyer au Secrétariat"},
	[M_BACK] = {"Back to the form", "Retour au formulaire"},
	[M_DOWNLOAD_JSON] = {"Download what would be sent (JSON)",
			     "Télécharger ce qui serait envoyé (JSON)"},
	[M_REQUIRED] = {"required", "obligatoire"},
	[M_NOT_APPLICABLE] = {"Not applicable", "Sans objet"},
	[M_DONT_KNOW] = {"Don't know", "Ne sait pas"},
	[M_ANSWER] = {"Without a figure", "Faute de chiffre"},
	[M_YES] = {"Yes", "Oui"},
	[M_NO] = {"No", "Non"},
	[M_NO_ANSWER] = {"(no answer)", "(sans réponse)"},
	[M_DOES_NOT_APPLY] =
		{"Does not apply given your answers above (use \"Update the form\" after "
		 "changing them).",
		 "Ne s'applique pas compte tenu de vos réponses ci-dessus (« Mettre à "
		 "jour le formulaire » après les avoir modifiées)."},
	[M_DRAFT_SAVED] = {"Draft saved on this computer. Nothing was sent.",
			   "Brouillon enregistré sur cet ordinateur. Rien n'a été envoyé."},
	[M_VALID] = {"The check found no problem. Nothing was sent.",
		     "La vérification n'a trouvé aucun problème. Rien n'a été envoyé."},
	[M_PROBLEMS] = {"Problems to fix before sending", "Problèmes à corriger avant l'envoi"},
	[M_WARNINGS] = {"Warnings: please check these answers (you may send as they are)",
			"Avertissements : vérifiez ces réponses (vous pouvez les envoyer telles "
			"quelles)"},
	[M_QUERY_FROM] = {"Query from the Secretariat", "Question du Secrétariat"},
	[M_SUMMARY] = {"Review before sending", "Relecture avant l'envoi"},
	[M_SUMMARY_INTRO] =
		{"These answers will be sent and stored for good. Sending is final for "
		 "this revision; you may revise until the cycle closes, unless the "
		 "return is approved.",
		 "Ces réponses seront envoyées et conservées définitivement. L'envoi est "
		 "définitif pour cette révision ; vous pourrez réviser jusqu'à la "
		 "clôture du cycle, sauf si la réponse est approuvée."},
	[M_RECEIPT] = {"Receipt", "Accusé de réception"},
	[M_STORED] = {"Received and stored.", "Reçue et enregistrée."},
	[M_DUPLICATE] = {"Already stored: this is the receipt of the same answers sent before.",
			 "Déjà enregistrée : voici l'accusé des mêmes réponses envoyées "
			 "auparavant."},
	[M_LOCKED] = {"The Secretariat has approved this return: it is locked and cannot be "
		      "revised unless the Secretariat reopens it.",
		      "Le Secrétariat a approuvé cette réponse : elle est verrouillée et ne peut "
		      "être révisée que si le Secrétariat la rouvre."},
	[M_CLOSED] = {"This cycle is closed: no answer can be sent any more.",
		      "Ce cycle est clos : aucune réponse ne peut plus être envoyée."},
	[M_REJECTED] = {"Not stored: the answers have problems (below). Your draft is kept.",
			"Non enregistrée : les réponses présentent des problèmes (ci-dessous). "
			"Votre brouillon est conservé."},
	[M_NOT_DELIVERED] = {"Not sent: the collector did not answer. Your draft is kept; try "
			     "again later.",
			     "Non envoyée : le collecteur n'a pas répondu. Votre brouillon est "
			     "conservé ; réessayez plus tard."},
	[M_SEQUENCE] = {"Sequence", "Numéro d'ordre"},
	[M_REVISION] = {"Revision", "Révision"},
	[M_CONTENT_HASH] = {"Content hash (SHA-256)", "Empreinte du contenu (SHA-256)"},
	[M_STORED_AT] = {"Stored at (UTC)", "Enregistrée le (UTC)"},
	[M_LATE_NOTE] = {"received after the due date", "reçue après l'échéance"},
	[M_ON_TIME] = {"on time", "dans les délais"},
	[M_MIN] = {"at least", "au moins"},
	[M_MAX] = {"at most", "au plus"},
	[M_UNIT] = {"unit", "unité"},
	[M_NOT_A_NUMBER] = {"is not a number", "n'est pas un nombre"},
	[M_NOT_A_WHOLE_NUMBER] = {"is not a whole number", "n'est pas un nombre entier"},
	[M_LANGUAGE] = {"Français", "English"},
	[M_FROM_PREVIOUS] = {"Start from your answers of the previous cycle",
			     "Partir de vos réponses du cycle précédent"},
	[M_LOCKED_FORM] = {"This return is approved and locked: it is shown, not editable.",
			   "Cette réponse est approuvée et verrouillée : elle est affichée, non "
			   "modifiable."},
	[M_ERROR_AT] = {"Go to the question", "Aller à la question"},
	[M_FORBIDDEN] = {"Forbidden: open the portal with the address it printed when it started.",
			 "Interdit : ouvrez le portail avec l'adresse affichée à son démarrage."},
	[M_DIGEST] = {"Good-practice digest", "Recueil de bonnes pratiques"},
	[M_SHARE_WITH_NAME] = {"shared with your administration's name, as your answers stand",
			       "partagée avec le nom de votre administration, selon vos réponses"},
	[M_SHARE_ANONYMOUSLY] = {"shared anonymously, as your answers stand",
				 "partagée de manière anonyme, selon vos réponses"},
	[M_SHARE_NO] = {"not shared: your answers do not consent to it",
			"non partagée : vos réponses n'y consentent pas"},
	[M_SHARE_EXCLUDED] = {"left out by the Secretariat", "écartée par le Secrétariat"},
	[M_SHARE_EDITED] = {"shown as edited by the Secretariat",
			    "présentée telle que modifiée par le Secrétariat"},
	[M_SHARE_HELD] = {"you changed this answer after the Secretariat edited it: it is held "
			  "back from the digest until the Secretariat reviews it again",
			  "vous avez modifié cette réponse après la modification du Secrétariat : "
			  "elle est retenue jusqu'à ce que le Secrétariat la revoie"},
};

const char *i18n(enum lang lang, enum msg m)
{
	if ((unsigned)m >= M_COUNT)
		return "";
	if ((unsigned)lang >= LANG_COUNT)
		lang = LANG_EN;
	return text[m][lang] != NULL ? text[m][lang] : text[m][LANG_EN];
}

const char *i18n_code(enum lang lang)
{
	return lang == LANG_FR ? "fr" : "en";
}

enum lang i18n_parse(const char *code)
{
	return code != NULL && strcmp(code, "fr") == 0 ? LANG_FR : LANG_EN;
}
